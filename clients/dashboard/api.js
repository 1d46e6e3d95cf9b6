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

/**
 * One WebSocket to /ws/solver. `request(message)` sends with a fresh `id` and resolves with the reply carrying it as
 * `ref` (rejects with SolverError on an `error` frame). Session events go to `onEvent`; after a dropped connection it
 * reconnects with backoff and calls `onReconnect` so the page can resubscribe with `since_seq`.
 */
export class SolverSocket {
  constructor({ onEvent, onState, onReconnect, onUnmatchedError }) {
    this.handlers = { onEvent, onState, onReconnect, onUnmatchedError };
    this.pending = new Map();
    this.nextId = 1;
    this.delay = 100;
    this.socket = null;
    this.opened = null;
    this.everOpened = false;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const bearer = token.get();
    return `${scheme}//${location.host}/ws/solver${bearer ? `?access_token=${encodeURIComponent(bearer)}` : ""}`;
  }

  connect() {
    this.handlers.onState("connecting");
    const socket = new WebSocket(this.url());
    this.socket = socket;
    this.opened = new Promise((resolve) => {
      socket.addEventListener("open", () => {
        this.delay = 100;
        this.handlers.onState("open");
        if (this.everOpened) this.handlers.onReconnect();
        this.everOpened = true;
        resolve();
      });
    });
    socket.addEventListener("message", (m) => this.dispatch(m.data));
    socket.addEventListener("close", (e) => {
      if (this.socket !== socket) return;
      for (const { reject } of this.pending.values()) {
        reject(new SolverError({ code: "connection_lost", message: "the WebSocket closed before the reply arrived" }));
      }
      this.pending.clear();
      this.handlers.onState(`closed (${e.code}); reconnecting`);
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 5000);
    });
  }

  /** Closes and reopens (after the token changed). */
  restart() {
    const old = this.socket;
    this.socket = null;
    if (old) old.close();
    this.everOpened = false;
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
  }

  async request(message, timeoutMs = 30000) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) await this.opened;
    const id = `d${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SolverError({ code: "timeout", message: `no reply to ${message.type} within ${timeoutMs / 1000} s` }));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => { clearTimeout(timer); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.socket.send(JSON.stringify({ ...message, id }));
    });
  }
}
