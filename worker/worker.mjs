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
//   4 console  both ways     u8 virtio-console port, then that port's bytes (/dev/hvcN); the agent is
//                            port 1; the ports forwarded are config.consolePorts (default [1])
//   5 net      both ways     one Ethernet II frame (net0)
//
// stdout backpressure: once write() returns false, frames wait in our own queue until "drain".
// Past LOSSY_QUEUE_BYTES, serial bytes and net frames are dropped and counted (a console and a NIC
// may lose data; the host drops them too when its own observers fall behind). Events and console-port
// bytes (the agent) are never dropped: past PAUSE_QUEUE_BYTES the guest is paused until the queue has
// drained below half of that, so a host that stops reading cannot grow this process without bound.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { V86 } from "v86";

const FRAME_CONTROL = 1, FRAME_EVENT = 2, FRAME_SERIAL = 3, FRAME_CONSOLE = 4, FRAME_NET = 5;
// The host never sends more than this in one frame; anything bigger means the pipe is corrupt.
const MAX_INBOUND_FRAME = 1 << 20;
// Linux's virtio_console posts page-sized receive buffers: one bus send must fit one buffer.
const VIRTIO_CONSOLE_CHUNK = 4096;
// v86 0.5.462 has four virtio-console ports (max_nr_ports = 4).
const VIRTIO_CONSOLE_PORTS = 4;
// Bounds of our stdout queue (see the header). The host reads ~10x faster than a guest can write, so
// these are only reached when the host stops reading (a stalled consumer, a debugger, a hostile flood).
const LOSSY_QUEUE_BYTES = 1 << 20;
const PAUSE_QUEUE_BYTES = 8 << 20;
// One serial frame holds at most this; more bytes in one tick go out in several frames.
const SERIAL_BATCH = 64 * 1024;
// How long an exit waits for the host to take what is still queued.
const EXIT_FLUSH_MS = 2000;

const here = path.dirname(fileURLToPath(import.meta.url));
let emulator = null;
let resolveState = null;
const statePath = new Promise((resolve) => { resolveState = resolve; });
let consolePorts = new Set([1]);
let serialBuffer = Buffer.allocUnsafe(SERIAL_BATCH);
let serialLength = 0;
let serialFlushScheduled = false;

// Our stdout queue: frames wait here while the pipe is not drained.
let outQueue = [];
let outHead = 0;
let outQueuedBytes = 0;
let outBlocked = false;
let exiting = false;
let stdoutEnded = false;
const stats = { peakQueuedBytes: 0, droppedSerialBytes: 0, droppedNetFrames: 0, pauses: 0 };
let pausedForBackpressure = false;

function frameOf(type, payload, prefix) {
    const extra = prefix === undefined ? 0 : 1;
    const frame = Buffer.allocUnsafe(5 + extra + payload.length);
    frame.writeUInt32LE(payload.length + 1 + extra, 0);
    frame.writeUInt8(type, 4);
    if (extra) { frame.writeUInt8(prefix, 5); }
    frame.set(payload, 5 + extra);
    return frame;
}

// lossy: serial and net frames, which may be dropped while the queue is over LOSSY_QUEUE_BYTES.
function writeFrame(type, payload, lossy = false, prefix = undefined) {
    if (stdoutEnded) { return; }
    if (!outBlocked) {
        if (!process.stdout.write(frameOf(type, payload, prefix))) { outBlocked = true; }
        return;
    }
    if (lossy && outQueuedBytes >= LOSSY_QUEUE_BYTES) {
        if (type === FRAME_NET) { stats.droppedNetFrames++; } else { stats.droppedSerialBytes += payload.length; }
        return;
    }
    const frame = frameOf(type, payload, prefix);
    outQueue.push(frame);
    outQueuedBytes += frame.length;
    if (outQueuedBytes > stats.peakQueuedBytes) { stats.peakQueuedBytes = outQueuedBytes; }
    if (outQueuedBytes >= PAUSE_QUEUE_BYTES) { pauseGuest(); }
}

process.stdout.on("drain", () => {
    outBlocked = false;
    while (outHead < outQueue.length) {
        const frame = outQueue[outHead];
        outQueue[outHead++] = undefined;
        outQueuedBytes -= frame.length;
        if (!process.stdout.write(frame)) { outBlocked = true; break; }
    }
    if (outHead === outQueue.length) { outQueue = []; outHead = 0; }
    if (pausedForBackpressure && outQueuedBytes < PAUSE_QUEUE_BYTES / 2) { resumeGuest(); }
    if (exiting && !outBlocked) { finishExit(); }
});

// v86's stop() takes effect at the end of its current tick; run() before that would start a second
// tick chain, so a resume waits for the stop.
let guestStopped = Promise.resolve();
function pauseGuest() {
    if (pausedForBackpressure || !emulator || !emulator.is_running()) { return; }
    pausedForBackpressure = true;
    stats.pauses++;
    guestStopped = emulator.stop();
}

function resumeGuest() {
    pausedForBackpressure = false;
    guestStopped.then(() => {
        if (!pausedForBackpressure && !exiting && emulator && !emulator.is_running()) { emulator.run(); }
    });
}

function sendEvent(obj) {
    writeFrame(FRAME_EVENT, Buffer.from(JSON.stringify(obj), "utf8"));
}

// Exits once everything queued has reached the pipe (or after EXIT_FLUSH_MS: a host that is gone
// never drains), so the host sees the last event, e.g. the error that explains the exit.
let exitCode = 0;
function exitWhenFlushed(code) {
    if (exiting) { return; }
    exiting = true;
    exitCode = code;
    process.stdin.pause();
    setTimeout(() => process.exit(exitCode), EXIT_FLUSH_MS).unref();
    if (!outBlocked) { finishExit(); }
}

function finishExit() {
    if (stdoutEnded) { return; }
    // Whatever the still-running guest produces from here on is not sent: a write after end() would fail.
    stdoutEnded = true;
    process.stdout.end(() => process.exit(exitCode));
}

function flushSerial() {
    serialFlushScheduled = false;
    if (serialLength === 0) { return; }
    const bytes = Buffer.from(serialBuffer.subarray(0, serialLength));
    serialLength = 0;
    writeFrame(FRAME_SERIAL, bytes, true);
}

// serial0-output-byte fires once per byte; batch them per tick so the pipe sees few frames.
function onSerialByte(byte) {
    serialBuffer[serialLength++] = byte;
    if (serialLength === SERIAL_BATCH) {
        flushSerial();
        return;
    }
    if (!serialFlushScheduled) {
        serialFlushScheduled = true;
        setImmediate(flushSerial);
    }
}

function fileImage(p) {
    const data = fs.readFileSync(p);
    return { buffer: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) };
}

function start(cfg) {
    const t0 = performance.now();
    if (Array.isArray(cfg.consolePorts)) {
        consolePorts = new Set(cfg.consolePorts.filter((p) => Number.isInteger(p) && p >= 0 && p < VIRTIO_CONSOLE_PORTS));
    }
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
    for (const port of consolePorts) {
        emulator.add_listener("virtio-console" + port + "-output-bytes", (bytes) => writeFrame(FRAME_CONSOLE, bytes, false, port));
    }
    // ne2k and virtio-net may reuse their buffer after the event: frameOf copies it at once.
    emulator.add_listener("net0-send", (frame) => writeFrame(FRAME_NET, frame, true));
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
        const t0 = performance.now();
        const state = await emulator.save_state();
        const t1 = performance.now();
        const tmp = msg.path + ".part";
        fs.writeFileSync(tmp, new Uint8Array(state));
        fs.renameSync(tmp, msg.path);
        const t2 = performance.now();
        sendEvent({ ev: "saved", id: msg.id, path: msg.path, bytes: state.byteLength, saveStateMs: Math.round(t1 - t0), writeMs: Math.round(t2 - t1) });
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
            sendEvent({
                ev: "stats", id: msg.id, rss: process.memoryUsage().rss, instructions: emulator ? emulator.get_instruction_counter() : 0,
                queuedBytes: outQueuedBytes, ...stats,
            });
            break;
        case "stop":
            if (emulator) { emulator.stop(); emulator.destroy?.(); }
            exitWhenFlushed(0);
            break;
        default:
            sendEvent({ ev: "error", op: String(msg.op), message: "unknown op" });
    }
}

function sendToConsole(payload) {
    if (payload.length < 1) { return; }
    const port = payload[0];
    if (!consolePorts.has(port)) {
        sendEvent({ ev: "error", op: "frame", message: "virtio-console port " + port + " is not connected" });
        return;
    }
    for (let i = 1; i < payload.length; i += VIRTIO_CONSOLE_CHUNK) {
        emulator.bus.send("virtio-console" + port + "-input-bytes", new Uint8Array(payload.subarray(i, i + VIRTIO_CONSOLE_CHUNK)));
    }
}

function onFrame(type, payload) {
    switch (type) {
        case FRAME_CONTROL: onControl(JSON.parse(payload.toString("utf8"))); break;
        case FRAME_SERIAL: if (emulator) { emulator.serial_send_bytes(0, new Uint8Array(payload)); } break;
        case FRAME_CONSOLE: if (emulator) { sendToConsole(payload); } break;
        case FRAME_NET: if (emulator) { emulator.bus.send("net0-receive", new Uint8Array(payload)); } break;
        default: sendEvent({ ev: "error", op: "frame", message: "unknown frame type " + type });
    }
}

let pending = Buffer.alloc(0);
process.stdin.on("data", (chunk) => {
    if (exiting) { return; }
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 5) {
        const len = pending.readUInt32LE(0);
        if (len < 1 || len > MAX_INBOUND_FRAME) {
            sendEvent({ ev: "error", op: "frame", message: "bad frame length " + len });
            exitWhenFlushed(3);
            return;
        }
        if (pending.length < 4 + len) { break; }
        const type = pending.readUInt8(4);
        const payload = pending.subarray(5, 4 + len);
        pending = pending.subarray(4 + len);
        onFrame(type, payload);
    }
});
// The worker dies with its owner: when the host goes away our stdin closes.
process.stdin.on("end", () => exitWhenFlushed(0));
process.stdin.on("error", () => exitWhenFlushed(0));
// stdout itself is gone: nothing can be flushed any more.
process.stdout.on("error", () => process.exit(0));
process.on("uncaughtException", (e) => {
    try { sendEvent({ ev: "error", op: "fatal", message: String(e && e.stack || e) }); } catch { /* pipe gone */ }
    exitWhenFlushed(2);
});

sendEvent({ ev: "ready", pid: process.pid, node: process.version });
