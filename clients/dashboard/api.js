// HTTP and WebSocket access to solverd, with an optional bearer token kept in localStorage.

const TOKEN_KEY = "solverd.token";

export const token = {
  get: () => localStorage.getItem(TOKEN_KEY) || "",
  set: (value) => (value ? localStorage.setItem(TOKEN_KEY, value) : localStorage.removeItem(TOKEN_KEY)),
};

/** An error from solverd (HTTP error body or WebSocket error frame) or from this page's own checks. */
export class SolverError extends Error {
  constructor({ code, message, field, status, ref }) {
    super(message || code);
    this.code = code || "error";
    this.field = field || null;
    this.status = status || null;
    this.ref = ref ?? null;
  }
}

/** fetch() a JSON endpoint; resolves to the parsed body, rejects with SolverError naming code/field/message. */
export async function api(method, path, body) {
  const headers = {};
  const bearer = token.get();
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new SolverError({ code: "network_error", message: `cannot reach the server: ${e.message}` });
  }
  const text = await response.text();
  let payload = null;
  try { payload = text ? JSON.parse(text) : null; } catch { payload = null; }
  if (response.ok && payload) return payload;
  const error = payload && payload.error ? payload.error : { code: `http_${response.status}`, message: text.slice(0, 300) || response.statusText };
  throw new SolverError({ ...error, status: response.status });
}

const EVENT_TYPES = new Set(["iteration_update", "verification_result", "convergence_signal", "correction_applied",
  "update_rejected", "session_closed"]);

/** Offered in this order; the server selects the first it knows (`solverd` on servers before `solverd.v1`). */
export const SUBPROTOCOLS = ["solverd.v1", "solverd"];

/**
 * One WebSocket to /ws/solver. `request(message)` sends with a fresh `id` and resolves with the reply carrying it as
 * `ref` (rejects with SolverError on an `error` frame). Session events go to `onEvent`. A dropped connection is
 * reopened after a backoff (250 ms doubling to 10 s, ±20 % jitter; back to 250 ms once a connection has lasted 10 s),
 * then `onReconnect` lets the page resubscribe with `since_seq`. `subscriptions` keeps the last subscribe messages
 * sent (for the page's own checks and tests); `delay` is the next backoff and may be set.
 */
export class SolverSocket {
  constructor({ onEvent, onState, onReconnect, onUnmatchedError, onShutdown }) {
    this.handlers = { onEvent, onState, onReconnect, onUnmatchedError, onShutdown };
    this.pending = new Map();
    this.nextId = 1;
    this.baseDelay = 250;
    this.maxDelay = 10000;
    this.delay = this.baseDelay;
    this.socket = null;
    this.opens = 0;
    this.openedAt = 0;
    this.retryTimer = null;
    this.subscriptions = [];
    this.armOpened();
  }

  /** A promise resolved by the next `open` (requests made while disconnected wait for it). */
  armOpened() {
    this.opened = new Promise((resolve) => { this.resolveOpened = resolve; });
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const bearer = token.get();
    return `${scheme}//${location.host}/ws/solver${bearer ? `?access_token=${encodeURIComponent(bearer)}` : ""}`;
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.handlers.onState("connecting");
    let socket;
    try {
      socket = new WebSocket(this.url(), SUBPROTOCOLS);
    } catch (e) {
      this.handlers.onState(`cannot connect: ${e.message}`);
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      if (this.socket !== socket) return;
      this.opens++;
      this.openedAt = performance.now();
      this.handlers.onState("open");
      if (this.opens > 1) this.handlers.onReconnect();
      this.resolveOpened();
    });
    socket.addEventListener("message", (m) => { if (this.socket === socket) this.dispatch(m.data); });
    socket.addEventListener("close", (e) => {
      if (this.socket !== socket) return;
      this.armOpened();
      for (const { reject } of this.pending.values()) {
        reject(new SolverError({ code: "connection_lost", message: "the WebSocket closed before the reply arrived" }));
      }
      this.pending.clear();
      if (this.openedAt && performance.now() - this.openedAt > 10000) this.delay = this.baseDelay;
      this.openedAt = 0;
      const wait = Math.round(this.delay * (0.8 + 0.4 * Math.random()));
      this.delay = Math.min(this.delay * 2, this.maxDelay);
      this.handlers.onState(`closed (${e.code}); reconnecting in ${(wait / 1000).toFixed(1)} s`);
      this.retryTimer = setTimeout(() => this.connect(), wait);
    });
  }

  /** Closes and reopens at once (after the token changed); `onReconnect` resubscribes as after a drop. */
  restart() {
    const old = this.socket;
    this.socket = null;
    if (old) old.close();
    this.armOpened();
    for (const { reject } of this.pending.values()) {
      reject(new SolverError({ code: "connection_lost", message: "the WebSocket was reopened before the reply arrived" }));
    }
    this.pending.clear();
    this.delay = this.baseDelay;
    this.connect();
  }

  dispatch(raw) {
    let message;
    try { message = JSON.parse(raw); } catch { return; }
    const waiting = message.ref != null ? this.pending.get(String(message.ref)) : undefined;
    if (waiting) {
      this.pending.delete(String(message.ref));
      if (message.type === "error") waiting.reject(new SolverError(message));
      else waiting.resolve(message);
      return;
    }
    if (EVENT_TYPES.has(message.type) && message.seq != null) this.handlers.onEvent(message);
    else if (message.type === "error") this.handlers.onUnmatchedError(new SolverError(message));
    else if (message.type === "shutdown") this.handlers.onShutdown?.(message);
  }

  /** Sends `message` with an `id` once the socket is open; resolves with the reply (timeout counts the wait too). */
  request(message, timeoutMs = 30000) {
    const id = `d${this.nextId++}`;
    return new Promise((resolve, reject) => {
      let expired = false;
      const timer = setTimeout(() => {
        expired = true;
        this.pending.delete(id);
        reject(new SolverError({ code: "timeout", message: `no reply to ${message.type} within ${timeoutMs / 1000} s` }));
      }, timeoutMs);
      const send = () => {
        if (expired) return;
        if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return void this.opened.then(send);
        this.pending.set(id, {
          resolve: (v) => { clearTimeout(timer); resolve(v); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        });
        if (message.type === "subscribe") {
          this.subscriptions.push({ session_id: message.session_id, since_seq: message.since_seq ?? null, connection: this.opens });
          if (this.subscriptions.length > 20) this.subscriptions.shift();
        }
        this.socket.send(JSON.stringify({ ...message, id }));
      };
      send();
    });
  }
}
