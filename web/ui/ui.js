// sandbox86 console (served by `sandbox86 serve` at /ui): the server's sandboxes, and for the chosen one a
// terminal on a PTY shell over a WebSocket, its console log, and pause / resume / kill. Every call is the
// control plane's own, with X-API-Key; the socket carries the key as a subprotocol (browsers cannot set
// headers on a WebSocket, and a query string would land in logs).
import { Terminal } from "./xterm/xterm.mjs";
import { FitAddon } from "./xterm/addon-fit.mjs";

const KEY_ITEM = "sandbox86.apiKey";
// Without --api-key the server accepts any key, but the API still wants the header.
const OPEN_SERVER_KEY = "sandbox86-ui";
const REFRESH_MS = 3000;
const $ = (id) => document.getElementById(id);

const state = { keyRequired: false, key: null, selected: null, sandboxes: [], terminal: null, fit: null, socket: null };
window.sandbox86ui = state;

function status(text) { $("status").textContent = text; }

async function api(method, path, body) {
    const headers = { "X-API-Key": state.key ?? OPEN_SERVER_KEY };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (response.status === 401 && state.keyRequired) {
        forgetKey("the key was refused");
        throw new Error("401");
    }
    if (!response.ok) {
        let message = response.statusText;
        try { message = (await response.json()).message ?? message; } catch { /* not JSON */ }
        throw new Error(`${method} ${path}: ${response.status} ${message}`);
    }
    return response.status === 204 ? null : response.json();
}

function forgetKey(why) {
    sessionStorage.removeItem(KEY_ITEM);
    state.key = null;
    $("login").hidden = false;
    $("forget").hidden = true;
    $("login-error").textContent = why ?? "";
    status("an API key is needed");
}

async function login(event) {
    event.preventDefault();
    const key = $("key").value.trim();
    if (!key) { return; }
    state.key = key;
    try {
        await api("GET", "/v2/sandboxes?limit=1");
    } catch {
        return;
    }
    sessionStorage.setItem(KEY_ITEM, key);
    $("key").value = "";
    $("login").hidden = true;
    $("forget").hidden = false;
    await refresh();
}

function age(startedAt) {
    const s = Math.max(0, Math.round((Date.now() - Date.parse(startedAt)) / 1000));
    return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

function cell(row, text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) { td.className = cls; }
    row.appendChild(td);
    return td;
}

function button(td, label, cls, action) {
    const b = document.createElement("button");
    b.textContent = label;
    b.className = cls;
    b.addEventListener("click", action);
    td.appendChild(b);
}

async function refresh() {
    if (state.keyRequired && !state.key) { return; }
    let list, metrics = {};
    try {
        list = await api("GET", "/v2/sandboxes?state=running,paused&limit=100");
        const running = list.filter((s) => s.state === "running").map((s) => s.sandboxID);
        if (running.length > 0) {
            metrics = (await api("GET", "/sandboxes/metrics?sandbox_ids=" + running.map(encodeURIComponent).join(","))).sandboxes ?? {};
        }
    } catch (e) {
        status(String(e.message ?? e));
        return;
    }
    state.sandboxes = list;
    const body = $("sandboxes").tBodies[0];
    body.replaceChildren();
    for (const s of list) {
        const m = metrics[s.sandboxID];
        const row = document.createElement("tr");
        row.dataset.id = s.sandboxID;
        row.dataset.state = s.state;
        if (s.sandboxID === state.selected) { row.className = "selected"; }
        cell(row, s.sandboxID, "id");
        cell(row, s.metadata?.["sandbox86.name"] ?? "", "name");
        cell(row, s.state, "state");
        cell(row, s.alias ?? s.templateID, "template");
        cell(row, age(s.startedAt), "age");
        cell(row, m ? `${m.cpuUsedPct.toFixed(0)}%` : "", "cpu");
        cell(row, m ? `${Math.round(m.memUsed / 1048576)} / ${Math.round(m.memTotal / 1048576)} MiB` : `${s.memoryMB} MiB`, "memory");
        const actions = cell(row, "", "actions");
        button(actions, "open", "open", () => select(s.sandboxID));
        if (s.state === "running") { button(actions, "pause", "pause", () => lifecycle(s.sandboxID, "POST", "pause")); }
        if (s.state === "paused") { button(actions, "resume", "resume", () => lifecycle(s.sandboxID, "POST", "resume")); }
        button(actions, "kill", "kill", () => lifecycle(s.sandboxID, "DELETE", null));
        body.appendChild(row);
    }
    $("empty").hidden = list.length > 0;
    status(`${list.length} sandbox${list.length === 1 ? "" : "es"}, ${new Date().toLocaleTimeString()}`);
    const chosen = list.find((s) => s.sandboxID === state.selected);
    if (state.selected && !chosen) { closeDetail(); }
    else if (chosen && chosen.state === "running" && !state.socket) { connect(chosen.sandboxID); }
}

async function lifecycle(id, method, verb) {
    const path = verb ? `/sandboxes/${encodeURIComponent(id)}/${verb}` : `/sandboxes/${encodeURIComponent(id)}`;
    if (verb === "resume") { status(`resuming ${id}…`); }
    if (verb === "pause") { status(`pausing ${id}…`); }
    try {
        // E2B's resume takes {timeout}; without one the server's default TTL applies.
        await api(method, path, verb === "resume" ? {} : undefined);
    } catch (e) {
        status(String(e.message ?? e));
    }
    await refresh();
}

function closeDetail() {
    disconnect();
    state.selected = null;
    $("detail").hidden = true;
}

function select(id) {
    if (state.selected !== id) {
        disconnect();
        state.selected = id;
    }
    $("detail").hidden = false;
    $("detail-title").textContent = id;
    ensureTerminal();
    loadLog();
    const s = state.sandboxes.find((x) => x.sandboxID === id);
    if (s && s.state === "running" && !state.socket) { connect(id); }
    for (const row of $("sandboxes").tBodies[0].rows) { row.className = row.dataset.id === id ? "selected" : ""; }
}

function ensureTerminal() {
    if (state.terminal) { return; }
    const terminal = new Terminal({ convertEol: false, scrollback: 2000, fontSize: 13 });
    const fit = new FitAddon();
    terminal.loadAddon(fit);
    terminal.open($("terminal"));
    fit.fit();
    const encoder = new TextEncoder();
    terminal.onData((data) => send(encoder.encode(data)));
    terminal.onBinary((data) => send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
    terminal.onResize(({ cols, rows }) => {
        if (state.socket?.readyState === WebSocket.OPEN) { state.socket.send(JSON.stringify({ type: "resize", cols, rows })); }
    });
    window.addEventListener("resize", () => fit.fit());
    state.terminal = terminal;
    state.fit = fit;
}

function send(bytes) {
    if (state.socket?.readyState === WebSocket.OPEN) { state.socket.send(bytes); }
}

function hex(text) {
    return Array.from(new TextEncoder().encode(text), (b) => b.toString(16).padStart(2, "0")).join("");
}

function connect(id) {
    const t = state.terminal;
    const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ui/sandboxes/${encodeURIComponent(id)}/pty?cols=${t.cols}&rows=${t.rows}`;
    const protocols = state.key ? ["sandbox86.pty", "sandbox86.key." + hex(state.key)] : ["sandbox86.pty"];
    const socket = new WebSocket(url, protocols);
    socket.binaryType = "arraybuffer";
    state.socket = socket;
    socket.onopen = () => { t.focus(); };
    socket.onmessage = (event) => {
        if (typeof event.data === "string") {
            const message = JSON.parse(event.data);
            if (message.type === "exit") { t.write(`\r\n[shell exited: ${message.code}]\r\n`); }
            return;
        }
        t.write(new Uint8Array(event.data));
    };
    socket.onclose = (event) => {
        if (state.socket === socket) { state.socket = null; }
        t.write(`\r\n[terminal closed${event.reason ? ": " + event.reason : ""}]\r\n`);
    };
}

function disconnect() {
    const socket = state.socket;
    state.socket = null;
    if (socket) { socket.close(1000, "closed by the page"); }
    if (state.terminal) { state.terminal.reset(); }
}

async function loadLog() {
    if (!state.selected) { return; }
    try {
        const body = await api("GET", `/sandboxes/${encodeURIComponent(state.selected)}/logs`);
        $("log").textContent = body.logs.map((l) => l.line).join("\n");
        $("log").scrollTop = $("log").scrollHeight;
    } catch (e) {
        $("log").textContent = String(e.message ?? e);
    }
}

async function start() {
    $("login").addEventListener("submit", login);
    $("forget").addEventListener("click", () => { closeDetail(); forgetKey(); });
    $("refresh-log").addEventListener("click", loadLog);
    const config = await (await fetch("/ui/config")).json();
    state.keyRequired = config.keyRequired;
    if (state.keyRequired) {
        state.key = sessionStorage.getItem(KEY_ITEM);
        if (!state.key) { forgetKey(); } else { $("forget").hidden = false; }
    }
    await refresh();
    setInterval(refresh, REFRESH_MS);
}

start().catch((e) => status("failed: " + (e.message ?? e)));
