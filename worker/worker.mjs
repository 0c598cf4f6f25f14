// sandbox86 VM worker: hosts exactly one v86 emulator and shuttles bytes to and from the
// C# host over stdin/stdout. All policy lives in C#; this file only translates between
// the frame pipe and v86's bus. Frame: u32 LE length (type byte + payload), u8 type, payload.
//
// Types (keep in sync with src/Sandbox86/Machines/Worker/WorkerFrameType.cs):
//   1 control  host->worker  JSON {op:"start"|"restore"|"save"|"suspend"|"resume"|"stop"|"stats", ...}
//              start with restore:true constructs v86 at once (wasm compile, BIOS, fs index: ~0.3 s)
//              and then waits for {op:"restore", state:PATH}, so that work overlaps the host's own;
//              it says "constructed" once built (a pre-spawned spare is primed this way ahead of need).
//   2 event    worker->host  JSON {ev:"ready"|"constructed"|"started"|"saved"|"suspended"|"resumed"|"error"|"stats", ...}
//              suspend stops the emulator (no ticks, no timers: ~no CPU) until resume; a warm pool keeps
//              restored workers suspended, and an idle sandbox may be suspended too.
//   3 serial0  both ways     bytes of ttyS0
//   4 console  both ways     u8 virtio-console port, then that port's bytes (/dev/hvcN); the agent is
//                            port 1; the ports forwarded are config.consolePorts (default [1])
//   5 net      both ways     one Ethernet II frame (net0)
//   6 file     both ways     u32 LE transfer id, then file bytes: host->worker a piece of a filePut,
//                            worker->host the answer to one fileGet (fewer bytes than asked = end of file)
//
// stdout backpressure: once write() returns false, frames wait in our own queue until "drain".
// Past LOSSY_QUEUE_BYTES, serial bytes and net frames are dropped and counted (a console and a NIC
// may lose data; the host drops them too when its own observers fall behind). Events and console-port
// bytes (the agent) are never dropped: past PAUSE_QUEUE_BYTES the guest is paused until the queue has
// drained below half of that, so a host that stops reading cannot grow this process without bound.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import util from "node:util";
import { V86 } from "v86";

// stdout is the frame pipe: one stray line on it corrupts every frame after it. libv86 logs with
// console.log (virtio-net's "No buffer to write into!" when a frame reaches a guest whose NIC has posted
// no receive buffer: seen as the host's "bad frame length (1646292814)", the bytes "No b"). Every console
// method writes to stderr instead (the host keeps its last 8 KiB), at most LOG_LINES_PER_MINUTE lines a
// minute; past that lines are counted (stats.suppressedLogLines), so a guest cannot flood it either.
const LOG_LINES_PER_MINUTE = 120;
const stats = { peakQueuedBytes: 0, droppedSerialBytes: 0, droppedNetFrames: 0, droppedUnreadyConsoleBytes: 0, pauses: 0, suppressedLogLines: 0 };
let logWindowStart = 0;
let logLinesInWindow = 0;
let logLinesSuppressedInWindow = 0;
function logToStderr(...args) {
    const now = Date.now();
    if (now - logWindowStart >= 60_000) {
        if (logLinesSuppressedInWindow > 0) {
            process.stderr.write(`worker: ${logLinesSuppressedInWindow} log lines suppressed in the last minute\n`);
        }
        logWindowStart = now;
        logLinesInWindow = 0;
        logLinesSuppressedInWindow = 0;
    }
    if (++logLinesInWindow > LOG_LINES_PER_MINUTE) {
        logLinesSuppressedInWindow++;
        stats.suppressedLogLines++;
        return;
    }
    process.stderr.write(util.format(...args) + "\n");
}
for (const method of ["log", "info", "debug", "warn", "error", "dir", "trace"]) {
    console[method] = logToStderr;
}

const FRAME_CONTROL = 1, FRAME_EVENT = 2, FRAME_SERIAL = 3, FRAME_CONSOLE = 4, FRAME_NET = 5, FRAME_FILE = 6;
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
// One fileGet answers at most this; the host keeps a few in flight, which bounds both sides' memory.
const FILE_GET_MAX = 1 << 20;
// filePut transfers open at once (the host runs one per file copy).
const FILE_PUTS_MAX = 32;
// A put is held here until complete (v86 keeps every written file in memory anyway); past this it fails.
const FILE_PUT_MAX = 1 << 30;
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
let pausedForBackpressure = false;
// Set by the host's suspend op; a backpressure resume must not restart a suspended guest.
let suspendedByHost = false;

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
    noteActivity();
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
        if (!pausedForBackpressure && !suspendedByHost && !exiting && emulator && !emulator.is_running()) { emulator.run(); }
    });
}

// The host's suspend/resume. The "suspended" event is sent once v86's current tick has ended, so the
// host knows no guest instruction runs after it; resume waits for that stop like resumeGuest does.
function suspend(msg) {
    if (!emulator) { sendEvent({ ev: "error", op: "suspend", id: msg.id, message: "no VM started" }); return; }
    suspendedByHost = true;
    if (emulator.is_running()) { guestStopped = emulator.stop(); }
    guestStopped.then(() => sendEvent({ ev: "suspended", id: msg.id }));
}

function resume(msg) {
    if (!emulator) { sendEvent({ ev: "error", op: "resume", id: msg.id, message: "no VM started" }); return; }
    suspendedByHost = false;
    guestStopped.then(() => {
        if (!pausedForBackpressure && !suspendedByHost && !exiting && !emulator.is_running()) { emulator.run(); }
        sendEvent({ ev: "resumed", id: msg.id, running: emulator.is_running() });
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

// Compiled once at load, while the worker waits for its "start" (a pre-spawned spare waits for a
// machine to need it): v86's own path would read and compile v86.wasm inside the VM's construction.
const wasmPath = path.join(here, "node_modules", "v86", "build", "v86.wasm");
const compiledWasm = WebAssembly.compile(fs.readFileSync(wasmPath));
compiledWasm.catch(() => { /* start() falls back to v86's own loading */ });

async function instantiateWasm(env) {
    try {
        return (await WebAssembly.instantiate(await compiledWasm, env)).exports;
    } catch {
        // What v86 does itself when v86.wasm does not instantiate here.
        const fallback = fs.readFileSync(wasmPath.replace("v86.wasm", "v86-fallback.wasm"));
        return (await WebAssembly.instantiate(fallback, env)).instance.exports;
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
        wasm_path: wasmPath,
        wasm_fn: instantiateWasm,
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
        emulator.add_listener("virtio-console" + port + "-output-bytes", (bytes) => {
            agentSpoke = true;
            writeFrame(FRAME_CONSOLE, bytes, false, port);
        });
    }
    // ne2k and virtio-net may reuse their buffer after the event: frameOf copies it at once.
    emulator.add_listener("net0-send", (frame) => writeFrame(FRAME_NET, frame, true));
    emulator.add_listener("emulator-ready", async () => {
        try {
            const t1 = performance.now();
            // A spare primed ahead of its restore says so, so the host hands it out only once it is built.
            if (cfg.restore) { sendEvent({ ev: "constructed", constructMs: Math.round(t1 - t0) }); }
            const state = cfg.restore ? await statePath : null;
            const t1b = performance.now();
            if (state) {
                const data = fs.readFileSync(state);
                skipFreshMemoryZeroing(emulator);
                await emulator.restore_state(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
            }
            const t2 = performance.now();
            agentSpoke = !!state;
            scheduleIdleWakes(emulator, cfg.idleTimerMs);
            emulator.run();
            sendEvent({ ev: "started", restored: !!state, constructMs: Math.round(t1 - t0), waitedMs: Math.round(t1b - t1), restoreMs: Math.round(t2 - t1b) });
        } catch (e) {
            sendEvent({ ev: "error", op: "start", message: String(e && e.message || e) });
        }
    });
}

// Idle wake-ups (measured in DESIGN.md). When the guest halts (HLT), v86's main loop returns the
// time to the next timer event and v86 waits with setTimeout, or with setImmediate when that is under
// 1 ms. Node's setTimeout wakes up to 1 ms early, so every timer interrupt ended in ~1 ms of setImmediate
// spinning (40,000 wake-ups a second) and Debian's i386 kernel (CONFIG_HZ_PERIODIC, HZ=250: the tick
// is never stopped) asks for one every 4 ms: 24% of a core for a guest doing nothing. Two changes, both
// on the value main_loop returns while the CPU is halted (a device interrupt still wakes the CPU at once
// through v86's stop_idling, which starts a new tick and makes the pending wait stale):
//  - a halted CPU sleeps at least 1 ms (setTimeout), never spins: a timer interrupt may come <1 ms late;
//  - once the guest has been quiet for IDLE_GRACE_MS (no frame in or out, never busy for a whole slice),
//    it sleeps at least idleTimerMs, so timer interrupts are coalesced. The kernel runs its tick on
//    high-resolution oneshot timers with the TSC as clocksource, so one late interrupt catches up every
//    missed jiffy (tick_do_update_jiffies64) and the guest's clock stays exact; only guest timers fire
//    up to idleTimerMs late while nothing else happens.
const IDLE_GRACE_MS = 100;
const DEFAULT_IDLE_TIMER_MS = 50;
let lastActivity = 0;
// A cold boot waits on many short kernel timers (device probing, msleep): both changes below start once
// the guest's agent has spoken (after a restore it has, before the state was saved).
let agentSpoke = false;
function noteActivity() { lastActivity = performance.now(); }

function scheduleIdleWakes(emu, configured) {
    const cpu = emu.v86 && emu.v86.cpu;
    const halted = cpu && cpu.in_hlt;
    if (!cpu || typeof cpu.main_loop !== "function" || !halted || typeof halted[0] !== "number") { return; }
    const idleMs = Number.isFinite(configured) && configured >= 0 ? configured : DEFAULT_IDLE_TIMER_MS;
    const main = emu.v86;
    const mainLoop = cpu.main_loop;
    const raiseIrq = cpu.device_raise_irq;
    let stretched = false;
    noteActivity();
    cpu.main_loop = function () {
        stretched = false;
        const t = mainLoop.call(this);
        if (!halted[0]) {
            // A whole slice without halting: the guest is busy.
            if (t === 0) { noteActivity(); }
            return t;
        }
        // A cold boot keeps v86's own scheduling: its short driver sleeps would each cost a 1 ms timer.
        if (!agentSpoke) { return t; }
        if (idleMs > 0 && t < idleMs && performance.now() - lastActivity >= IDLE_GRACE_MS) {
            stretched = true;
            return idleMs;
        }
        return Math.max(1, Math.ceil(t));
    };
    if (typeof raiseIrq !== "function" || typeof main.next_tick !== "function") { return; }
    // A device interrupt (9p reply, NIC, console; not the PIT's 0 nor the RTC's 8) is guest work: timers
    // are exact again for the grace period, and a stretched wait is cut short at once (v86 wakes a halted
    // CPU itself too; this makes sure of it).
    cpu.device_raise_irq = function (irq) {
        const result = raiseIrq.call(this, irq);
        if (irq !== 0 && irq !== 8) {
            noteActivity();
            if (stretched && main.running && !main.stopping) {
                stretched = false;
                main.next_tick(0);
            }
        }
        return result;
    };
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
        case "suspend": suspend(msg); break;
        case "resume": resume(msg); break;
        case "stats":
            sendEvent({
                ev: "stats", id: msg.id, rss: process.memoryUsage().rss, instructions: emulator ? emulator.get_instruction_counter() : 0,
                queuedBytes: outQueuedBytes, ...stats,
            });
            break;
        case "filePut": filePut(msg); break;
        case "filePutEnd": filePutEnd(msg); break;
        case "fileAbort": filePuts.delete(msg.id); break;
        case "fileGet": fileGet(msg); break;
        case "stop":
            if (emulator) { emulator.stop(); emulator.destroy?.(); }
            exitWhenFlushed(0);
            break;
        default:
            sendEvent({ ev: "error", op: String(msg.op), message: "unknown op" });
    }
}

// v86's console input handler pops a request from the port's receive queue without checking that the
// guest has configured that queue (its resize handler does check). Bytes sent before the guest's driver
// set the queue up (a cold boot on a loaded host, a device reset) make it read descriptors from guest
// physical address 0, and the write into them throws "RangeError: offset is out of bounds", which kills
// the VM (seen in CI at load ~50). Such bytes are dropped and counted, as v86 drops bytes for which the
// guest has posted no buffer; the agent protocol's hello and credits recover from both.
function consoleQueueConfigured(port) {
    const queues = emulator.v86?.cpu?.devices?.virtio_console?.virtio?.queues;
    if (!queues) { return true; }
    const queue = queues[port === 0 ? 0 : 2 * port + 2];
    return !queue || typeof queue.is_configured !== "function" || Boolean(queue.is_configured());
}

function sendToConsole(payload) {
    if (payload.length < 1) { return; }
    const port = payload[0];
    if (!consolePorts.has(port)) {
        sendEvent({ ev: "error", op: "frame", message: "virtio-console port " + port + " is not connected" });
        return;
    }
    if (!consoleQueueConfigured(port)) {
        stats.droppedUnreadyConsoleBytes += payload.length - 1;
        return;
    }
    for (let i = 1; i < payload.length; i += VIRTIO_CONSOLE_CHUNK) {
        emulator.bus.send("virtio-console" + port + "-input-bytes", new Uint8Array(payload.subarray(i, i + VIRTIO_CONSOLE_CHUNK)));
    }
}

// Bulk file transfer straight into or out of v86's 9p tree (the guest's root filesystem), without the
// guest: the virtio-console path moves ~1.8 MiB/s, this one what the pipe and a memcpy allow. The agent
// keeps the guest coherent (it fsyncs before a get, and renames a put's new inode into place), so here a
// put only ever creates a name that does not exist yet, and only when all its bytes have arrived.
const filePuts = new Map();

function fileError(msg, message) {
    sendEvent({ ev: "error", op: msg.op, id: msg.id, message });
}

function filePut(msg) {
    if (!emulator || !emulator.fs9p) { fileError(msg, "no 9p filesystem"); return; }
    if (filePuts.size >= FILE_PUTS_MAX) { fileError(msg, "too many file transfers"); return; }
    filePuts.set(msg.id, { path: String(msg.path), pieces: [], size: 0 });
    sendEvent({ ev: "file", id: msg.id });
}

function onFilePiece(payload) {
    if (payload.length < 4) { return; }
    const put = filePuts.get(payload.readUInt32LE(0));
    // Pieces of an aborted or unknown transfer are dropped.
    if (put && !put.tooBig) {
        put.size += payload.length - 4;
        if (put.size > FILE_PUT_MAX) { put.tooBig = true; put.pieces = []; return; }
        put.pieces.push(payload.subarray(4));
    }
}

async function filePutEnd(msg) {
    const put = filePuts.get(msg.id);
    filePuts.delete(msg.id);
    if (!put) { fileError(msg, "unknown file transfer"); return; }
    if (put.tooBig) { fileError(msg, "file larger than " + FILE_PUT_MAX + " bytes"); return; }
    try {
        const fs9p = emulator.fs9p;
        const found = fs9p.SearchPath(put.path);
        if (found.id !== -1) { fileError(msg, "exists: " + put.path); return; }
        if (found.parentid === -1) { fileError(msg, "no such directory: " + put.path); return; }
        const data = put.pieces.length === 1 ? put.pieces[0] : Buffer.concat(put.pieces, put.size);
        put.pieces = null;
        const t0 = performance.now();
        await emulator.create_file(put.path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        sendEvent({ ev: "file", id: msg.id, size: put.size, createMs: Math.round(performance.now() - t0) });
    } catch (e) {
        fileError(msg, String(e && e.message || e));
    }
}

async function fileGet(msg) {
    try {
        const fs9p = emulator && emulator.fs9p;
        if (!fs9p) { fileError(msg, "no 9p filesystem"); return; }
        const found = fs9p.SearchPath(String(msg.path));
        if (found.id === -1) { fileError(msg, "not found: " + msg.path); return; }
        const inode = fs9p.GetInode(found.id);
        if ((inode.mode & 0xF000) !== 0x8000) { fileError(msg, "not a regular file: " + msg.path); return; }
        const offset = Math.max(0, Number(msg.offset) || 0);
        const length = Math.max(0, Math.min(FILE_GET_MAX, Number(msg.length) || 0, inode.size - offset));
        const data = length > 0 ? await fs9p.Read(found.id, offset, length) : null;
        const id = Buffer.allocUnsafe(4);
        id.writeUInt32LE(msg.id >>> 0, 0);
        writeFrame(FRAME_FILE, data ? Buffer.concat([id, data]) : id);
    } catch (e) {
        fileError(msg, String(e && e.message || e));
    }
}

function onFrame(type, payload) {
    noteActivity();
    switch (type) {
        case FRAME_CONTROL: onControl(JSON.parse(payload.toString("utf8"))); break;
        case FRAME_SERIAL: if (emulator) { emulator.serial_send_bytes(0, new Uint8Array(payload)); } break;
        case FRAME_CONSOLE: if (emulator) { sendToConsole(payload); } break;
        case FRAME_NET: if (emulator) { emulator.bus.send("net0-receive", new Uint8Array(payload)); } break;
        case FRAME_FILE: onFilePiece(payload); break;
        default: sendEvent({ ev: "error", op: "frame", message: "unknown frame type " + type });
    }
}

// Inbound bytes wait as the chunks stdin gave us; a frame is cut out (one copy at most) only once all
// of it is here, so a 512 KiB file piece arriving in 64 KiB reads is not re-concatenated per read.
let inChunks = [];
let inBytes = 0;

function takeInbound(n) {
    const first = inChunks[0];
    if (first.length >= n) {
        if (first.length === n) { inChunks.shift(); } else { inChunks[0] = first.subarray(n); }
        inBytes -= n;
        return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let offset = 0;
    while (offset < n) {
        const c = inChunks[0];
        const k = Math.min(c.length, n - offset);
        c.copy(out, offset, 0, k);
        offset += k;
        if (k === c.length) { inChunks.shift(); } else { inChunks[0] = c.subarray(k); }
    }
    inBytes -= n;
    return out;
}

process.stdin.on("data", (chunk) => {
    if (exiting) { return; }
    inChunks.push(chunk);
    inBytes += chunk.length;
    while (inBytes >= 5) {
        if (inChunks[0].length < 5) { inChunks = [Buffer.concat(inChunks)]; }
        const len = inChunks[0].readUInt32LE(0);
        if (len < 1 || len > MAX_INBOUND_FRAME) {
            sendEvent({ ev: "error", op: "frame", message: "bad frame length " + len });
            exitWhenFlushed(3);
            return;
        }
        if (inBytes < 4 + len) { break; }
        const frame = takeInbound(4 + len);
        onFrame(frame.readUInt8(4), frame.subarray(5));
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
