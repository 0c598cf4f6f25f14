// sandbox86 page script: fetches the saved state (zstd, in parts, in parallel, with a progress bar),
// restores it in v86 and attaches an xterm.js terminal to the guest's ttyS0, where the agent keeps a
// login shell (sandbox86.console=ttyS0). Every URL is relative to this page, so the site works from any
// sub-path of any static server. site.json is written by `sandbox86 prepare`.
import { V86 } from "./v86/libv86.mjs";
import { Terminal } from "./xterm/xterm.mjs";
import { FitAddon } from "./xterm/addon-fit.mjs";

const statusLine = document.getElementById("status");
const progress = document.getElementById("progress");

function status(text) {
    statusLine.textContent = text;
}

function mib(bytes) {
    return (bytes / 1048576).toFixed(1) + " MiB";
}

async function fetchJson(url) {
    const response = await fetch(url);
    if (!response.ok) { throw new Error(`${url}: HTTP ${response.status}`); }
    return response.json();
}

// All parts at once: browsers run ~6 per host in parallel; the bar shows the bytes received so far.
async function fetchState(state) {
    let received = 0;
    progress.max = state.bytes;
    const parts = await Promise.all(state.parts.map(async (part) => {
        const response = await fetch(part.url);
        if (!response.ok) { throw new Error(`${part.url}: HTTP ${response.status}`); }
        const reader = response.body.getReader();
        const buffer = new Uint8Array(part.bytes);
        let offset = 0;
        for (;;) {
            const { done, value } = await reader.read();
            if (done) { break; }
            if (offset + value.length > buffer.length) { throw new Error(`${part.url}: longer than ${part.bytes} bytes`); }
            buffer.set(value, offset);
            offset += value.length;
            received += value.length;
            progress.value = received;
            status(`loading the VM state: ${mib(received)} of ${mib(state.bytes)}`);
        }
        if (offset !== part.bytes) { throw new Error(`${part.url}: ${offset} bytes, expected ${part.bytes}`); }
        return buffer;
    }));
    // v86 takes one buffer; it recognises the zstd frame and inflates it itself (restore_state).
    const all = new Uint8Array(state.bytes);
    let at = 0;
    for (const part of parts) { all.set(part, at); at += part.length; }
    return all.buffer;
}

// A relay given as a path (`sandbox86 web` serves it beside the page) is resolved against this page.
function relayUrl(value) {
    if (!value) { return null; }
    if (/^wss?:\/\//.test(value)) { return value; }
    const url = new URL(value, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.href;
}

async function main() {
    const site = await fetchJson("site.json");
    document.title = site.title;
    document.getElementById("title").textContent = site.title;

    const terminal = new Terminal({ convertEol: false, cursorBlink: true, scrollback: 5000 });
    const fit = new FitAddon();
    terminal.loadAddon(fit);
    terminal.open(document.getElementById("terminal"));
    fit.fit();

    const initialState = await fetchState(site.state);
    progress.classList.add("done");
    status("restoring…");

    const relay = relayUrl(site.relayUrl);
    // The hardware must match what the state was saved with (see worker/worker.mjs): memory, VGA memory,
    // the second UART, virtio-console, a virtio NIC and the 9p filesystem.
    const emulator = new V86({
        wasm_path: "v86/v86.wasm",
        bios: { url: site.bios },
        vga_bios: { url: site.vgaBios },
        memory_size: site.memoryMb * 1024 * 1024,
        vga_memory_size: 2 * 1024 * 1024,
        filesystem: { basefs: site.fsIndex, baseurl: site.chunks },
        net_device: relay ? { type: "virtio", relay_url: relay } : { type: "virtio" },
        preserve_mac_from_state_image: true,
        uart1: true,
        virtio_console: true,
        disable_keyboard: true,
        disable_mouse: true,
        disable_speaker: true,
        // The state is restored below, awaited, before the CPU runs (as worker/worker.mjs does).
        autostart: false,
    });
    window.sandbox86 = { emulator, terminal, site };

    // serial0-output-byte fires once per byte: collect a tick's worth and write it in one go.
    let pending = [];
    emulator.add_listener("serial0-output-byte", (byte) => {
        if (pending.length === 0) { queueMicrotask(flush); }
        pending.push(byte);
    });
    function flush() {
        const bytes = Uint8Array.from(pending);
        pending = [];
        terminal.write(bytes);
    }
    const encoder = new TextEncoder();
    terminal.onData((data) => emulator.serial_send_bytes(0, encoder.encode(data)));

    emulator.add_listener("emulator-ready", async () => {
        try {
            // v86 recognises the zstd frame and inflates the state itself.
            await emulator.restore_state(initialState);
            emulator.run();
            status(relay ? `running · network: ${relay}` : "running · no network");
            // A serial line has no size of its own (the agent sets 80x24): tell the shell this terminal's,
            // on a clean screen. The shell printed its prompt before the state was saved; this brings up a fresh one.
            emulator.serial_send_bytes(0, encoder.encode(`stty cols ${terminal.cols} rows ${terminal.rows}; clear\r`));
            terminal.focus();
        } catch (error) {
            status("error: cannot restore the VM state: " + error.message);
            console.error(error);
        }
    });
    window.addEventListener("resize", () => fit.fit());
}

main().catch((error) => {
    status("error: " + error.message);
    console.error(error);
});
