// sandbox86 VM worker: hosts exactly one v86 emulator and shuttles bytes to and from the
// C# host over stdin/stdout. All policy lives in C#; this file only translates between
// the frame pipe and v86's bus. Frame: u32 LE length (type byte + payload), u8 type, payload.
//
// Types (keep in sync with src/Sandbox86/Machines/Worker/WorkerFrameType.cs):
//   1 control  host->worker  JSON {op:"start"|"restore"|"save"|"stop"|"stats", ...}
//              start with restore:true constructs v86 at once (wasm compile, BIOS, fs index: ~0.3 s)
//              and then waits for {op:"restore", state:PATH}, so that work overlaps the host's own.
//   2 event    worker->host  JSON {ev:"ready"|"started"|"saved"|"error"|"stats", ...}
//   3 serial0  both ways     bytes of ttyS0
//   4 agent    both ways     bytes of virtio-console port 1 (/dev/hvc1)
//   5 net      both ways     one Ethernet II frame (net0)

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { V86 } from "v86";

const FRAME_CONTROL = 1, FRAME_EVENT = 2, FRAME_SERIAL = 3, FRAME_AGENT = 4, FRAME_NET = 5;
// The host never sends more than this in one frame; anything bigger means the pipe is corrupt.
const MAX_INBOUND_FRAME = 1 << 20;
// Linux's virtio_console posts page-sized receive buffers: one bus send must fit one buffer.
const VIRTIO_CONSOLE_CHUNK = 4096;

const here = path.dirname(fileURLToPath(import.meta.url));
let emulator = null;
let resolveState = null;
const statePath = new Promise((resolve) => { resolveState = resolve; });
let serialBuffer = [];
let serialFlushScheduled = false;

function writeFrame(type, payload) {
    const header = Buffer.allocUnsafe(5);
    header.writeUInt32LE(payload.length + 1, 0);
    header.writeUInt8(type, 4);
    process.stdout.write(Buffer.concat([header, payload]));
}

function sendEvent(obj) {
    writeFrame(FRAME_EVENT, Buffer.from(JSON.stringify(obj), "utf8"));
}

// serial0-output-byte fires once per byte; batch them per tick so the pipe sees few frames.
function onSerialByte(byte) {
    serialBuffer.push(byte);
    if (!serialFlushScheduled) {
        serialFlushScheduled = true;
        setImmediate(() => {
            serialFlushScheduled = false;
            const bytes = Buffer.from(serialBuffer);
            serialBuffer = [];
            writeFrame(FRAME_SERIAL, bytes);
        });
    }
}

function fileImage(p) {
    const data = fs.readFileSync(p);
    return { buffer: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) };
}

function start(cfg) {
    const t0 = performance.now();
    const options = {
        wasm_path: path.join(here, "node_modules", "v86", "build", "v86.wasm"),
        bios: fileImage(cfg.bios),
        vga_bios: fileImage(cfg.vgaBios),
        memory_size: cfg.memoryMb * 1024 * 1024,
        vga_memory_size: 2 * 1024 * 1024,
        autostart: false,
        disable_keyboard: true,
        disable_mouse: true,
        disable_speaker: true,
        fastboot: true,
        uart1: true,
        virtio_console: true,
        // Without relay_url the NIC's frames come to us (net0-send) and go to the C# stack.
        net_device: cfg.relayUrl ? { type: "virtio", relay_url: cfg.relayUrl } : { type: "virtio" },
        preserve_mac_from_state_image: true,
        filesystem: { basefs: cfg.fsIndex, baseurl: cfg.chunkDir.endsWith("/") ? cfg.chunkDir : cfg.chunkDir + "/" },
    };
    if (!cfg.restore) {
        options.bzimage = fileImage(cfg.kernel);
        options.initrd = fileImage(cfg.initrd);
        options.cmdline = cfg.cmdline;
    }
    emulator = new V86(options);
    emulator.add_listener("serial0-output-byte", onSerialByte);
    emulator.add_listener("virtio-console1-output-bytes", (bytes) => writeFrame(FRAME_AGENT, Buffer.from(bytes)));
    // ne2k and virtio-net may reuse their buffer after the event: copy at once.
    emulator.add_listener("net0-send", (frame) => writeFrame(FRAME_NET, Buffer.from(frame)));
    emulator.add_listener("emulator-ready", async () => {
        try {
            const t1 = performance.now();
            const state = cfg.restore ? await statePath : null;
            const t1b = performance.now();
            if (state) {
                const data = fs.readFileSync(state);
                skipFreshMemoryZeroing(emulator);
                await emulator.restore_state(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
            }
            const t2 = performance.now();
            emulator.run();
            sendEvent({ ev: "started", restored: !!state, constructMs: Math.round(t1 - t0), waitedMs: Math.round(t1b - t1), restoreMs: Math.round(t2 - t1b) });
        } catch (e) {
            sendEvent({ ev: "error", op: "start", message: String(e && e.message || e) });
        }
    });
}

// v86's restore zeroes all guest RAM before unpacking the saved pages: 175 ms for 256 MB, measured.
// In a worker that has never run, RAM is fresh (zero) WebAssembly memory except the low area where the
// BIOS and VGA ROMs were placed, so zeroing that area is enough. Falls back to v86's own behaviour when
// its internals are not where this expects them.
const FRESH_MEMORY_DIRTY_LIMIT = 2 * 1024 * 1024;
function skipFreshMemoryZeroing(emu) {
    const cpu = emu.v86 && emu.v86.cpu;
    if (!cpu || typeof cpu.zero_memory !== "function" || emu.is_running()) { return; }
    const original = cpu.zero_memory;
    let first = true;
    cpu.zero_memory = function (addr, length) {
        if (first && addr === 0) {
            first = false;
            return original.call(this, 0, Math.min(length, FRESH_MEMORY_DIRTY_LIMIT));
        }
        return original.call(this, addr, length);
    };
}

async function save(msg) {
    try {
        const state = await emulator.save_state();
        const tmp = msg.path + ".part";
        fs.writeFileSync(tmp, new Uint8Array(state));
        fs.renameSync(tmp, msg.path);
        sendEvent({ ev: "saved", id: msg.id, path: msg.path, bytes: state.byteLength });
    } catch (e) {
        sendEvent({ ev: "error", op: "save", id: msg.id, message: String(e && e.message || e) });
    }
}

function onControl(msg) {
    switch (msg.op) {
        case "start": start(msg.config); break;
        case "restore": resolveState(String(msg.state)); break;
        case "save": save(msg); break;
        case "stats":
            sendEvent({ ev: "stats", id: msg.id, rss: process.memoryUsage().rss, instructions: emulator ? emulator.get_instruction_counter() : 0 });
            break;
        case "stop":
            if (emulator) { emulator.stop(); emulator.destroy?.(); }
            process.exit(0);
            break;
        default:
            sendEvent({ ev: "error", op: String(msg.op), message: "unknown op" });
    }
}

function sendToAgent(payload) {
    for (let i = 0; i < payload.length; i += VIRTIO_CONSOLE_CHUNK) {
        emulator.bus.send("virtio-console1-input-bytes", new Uint8Array(payload.subarray(i, i + VIRTIO_CONSOLE_CHUNK)));
    }
}

function onFrame(type, payload) {
    switch (type) {
        case FRAME_CONTROL: onControl(JSON.parse(payload.toString("utf8"))); break;
        case FRAME_SERIAL: if (emulator) { emulator.serial_send_bytes(0, new Uint8Array(payload)); } break;
        case FRAME_AGENT: if (emulator) { sendToAgent(payload); } break;
        case FRAME_NET: if (emulator) { emulator.bus.send("net0-receive", new Uint8Array(payload)); } break;
        default: sendEvent({ ev: "error", op: "frame", message: "unknown frame type " + type });
    }
}

let pending = Buffer.alloc(0);
process.stdin.on("data", (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 5) {
        const len = pending.readUInt32LE(0);
        if (len < 1 || len > MAX_INBOUND_FRAME) {
            sendEvent({ ev: "error", op: "frame", message: "bad frame length " + len });
            process.exit(3);
        }
        if (pending.length < 4 + len) { break; }
        const type = pending.readUInt8(4);
        const payload = pending.subarray(5, 4 + len);
        pending = pending.subarray(4 + len);
        onFrame(type, payload);
    }
});
// The worker dies with its owner: when the host goes away our stdin closes.
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdout.on("error", () => process.exit(0));
process.on("uncaughtException", (e) => {
    try { sendEvent({ ev: "error", op: "fatal", message: String(e && e.stack || e) }); } catch { /* pipe gone */ }
    process.exit(2);
});

sendEvent({ ev: "ready", pid: process.pid, node: process.version });
