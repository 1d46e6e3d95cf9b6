// solverd dashboard: sessions, new sessions from generators or Matrix Market files (hybrid by default), live events
// over the WebSocket (residual plot, verification, corrections, rejected updates; resumed with since_seq after a
// reconnect), the solution (watched entries, a heat map of x, downloads), cost updates with their re-convergence.
// Only the session list is read periodically (every 20 s, and on demand): everything about the current session
// arrives as events.

import { api, SolverError, SolverSocket, token } from "./api.js";
import { HeatMap } from "./heatmap.js";
import { laplacian2d, pagerank, parseMatrixMarket, randomDiagonallyDominant, rng, wireMatrix } from "./matrices.js";
import { ResidualPlot } from "./plot.js";
import { knownShapes, parseShape, SolutionView } from "./solution.js";

const $ = (id) => document.getElementById(id);
const fmt = (x) => (typeof x === "number" && Number.isFinite(x) ? x.toExponential(3) : "—");
const LIST_REFRESH_MS = 20000;

const state = {
  sid: null, rows: 0, lastSeq: 0, appliedSeq: 0, watch: null, tolerance: null, phase: null,
  rateSamples: [], pending: new Map(), lastIteration: 0, lastResidual: null, received: [],
};
let plot = null;
const heat = new HeatMap($("heat-map"),
  { bar: $("heat-scale"), min: $("heat-min"), mid: $("heat-mid"), max: $("heat-max"), hover: $("heat-hover"), note: $("heat-note") },
  (index) => pushToCell(index));
const solution = new SolutionView(heat, { onError: (context, e) => showError(context, e) });

// ---- errors and small view helpers ----

function showError(context, error) {
  const e = error instanceof SolverError ? error : new SolverError({ code: "client_error", message: String(error?.message || error) });
  $("error-context").textContent = context;
  $("error-code").textContent = e.status ? `${e.code} (HTTP ${e.status})` : e.code;
  $("error-field").textContent = e.field || "";
  $("error-field-wrap").hidden = !e.field;
  $("error-message").textContent = e.message;
  $("error").hidden = false;
  logEvent(`error: ${context}: ${e.code}${e.field ? ` [${e.field}]` : ""}: ${e.message}`, "bad");
}

function clearError() { $("error").hidden = true; }

function badge(el, text, kind) {
  el.textContent = text;
  el.className = `badge ${kind}`;
}

function logEvent(text, kind = "") {
  const item = document.createElement("li");
  item.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  if (kind) item.className = kind;
  const log = $("event-log");
  log.prepend(item);
  while (log.children.length > 80) log.lastChild.remove();
}

/** "1, 2, 3" → numbers; `integer` requires whole numbers. Empty text → []. */
function parseList(text, field, integer) {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  return parts.map((part) => {
    const x = Number(part);
    if (!Number.isFinite(x) || (integer && !Number.isInteger(x))) {
      throw new SolverError({ code: "invalid_argument", field, message: `"${part}" is not ${integer ? "a whole number" : "a number"}` });
    }
    return x;
  });
}

function enableSessionControls(on) {
  for (const id of ["push", "verify", "watch", "download-json", "download-csv"]) $(id).disabled = !on;
}

// ---- the WebSocket ----

const socket = new SolverSocket({
  onEvent: (event) => onEvent(event),
  onState: (s) => badge($("ws-state"), `WebSocket ${s}`, s === "open" ? "good" : "warn"),
  onReconnect: () => resume(),
  onUnmatchedError: (e) => showError("Server error", e),
  onShutdown: () => logEvent("the server is shutting down; reconnecting when it is back", "warn"),
});

/** After a reconnect: subscribe again from the last event seen, so nothing published meanwhile is missed. */
async function resume() {
  if (!state.sid || state.phase === "closed") return;
  const since = state.lastSeq;
  try {
    const reply = await resubscribe(since);
    logEvent(`resubscribed after reconnect from seq ${since} (next ${reply.next_seq ?? "?"})`);
  } catch (e) {
    if (e.code === "session_not_found" || e.code === "session_closed") {
      setPhase("closed", e.code);
      enableSessionControls(false);
      refreshSessions();
    } else {
      showError("Resubscribe", e);
    }
  }
}

/** Subscribes to the current session from `since` (events after it are replayed); falls back to live-only when those
 * events have expired, then rereads what no event will repeat. */
async function resubscribe(since) {
  const message = { type: "subscribe", session_id: state.sid };
  if (since != null) message.since_seq = since;
  if (state.watch) message.watch_indices = state.watch;
  try {
    return await socket.request(message);
  } catch (e) {
    if (e.code !== "events_expired") throw e;
    logEvent("older events have expired; continuing live", "warn");
    delete message.since_seq;
    const reply = await socket.request(message);
    const status = await api("GET", `/api/v1/status/${encodeURIComponent(state.sid)}`);
    showStatus(status);
    solution.request(0);
    return reply;
  }
}

// ---- sessions ----

async function refreshSessions() {
  try {
    const { sessions } = await api("GET", "/api/v1/sessions");
    const body = $("sessions").querySelector("tbody");
    body.replaceChildren(...sessions.map(sessionRow));
    $("sessions-empty").hidden = sessions.length > 0;
  } catch (e) {
    showError("List sessions", e);
  }
}

function sessionRow(s) {
  const row = document.createElement("tr");
  row.dataset.sid = s.session_id;
  if (s.session_id === state.sid) row.className = "current";
  const cells = [s.session_id.slice(0, 8), s.phase, s.rows, s.method, s.iteration, fmt(s.relative_residual)];
  for (const value of cells) {
    const cell = document.createElement("td");
    cell.textContent = value;
    row.append(cell);
  }
  row.cells[0].title = s.session_id;
  const actions = document.createElement("td");
  const watch = Object.assign(document.createElement("button"), { type: "button", textContent: "watch", className: "small" });
  watch.onclick = () => watchSession(s.session_id).catch((e) => showError("Watch session", e));
  const remove = Object.assign(document.createElement("button"), { type: "button", textContent: "delete", className: "small" });
  remove.onclick = () => api("DELETE", `/api/v1/sessions/${encodeURIComponent(s.session_id)}`)
    .then(refreshSessions, (e) => showError("Delete session", e));
  actions.append(watch, remove);
  row.append(actions);
  return row;
}

/** Keeps the current session's row of the list up to date from its events (no request). */
function updateCurrentRow(fields) {
  const row = [...$("sessions").querySelectorAll("tbody tr")].find((r) => r.dataset.sid === state.sid);
  if (!row) return;
  if (fields.phase != null) row.cells[1].textContent = fields.phase;
  if (fields.method != null) row.cells[3].textContent = fields.method;
  if (fields.iteration != null) row.cells[4].textContent = fields.iteration;
  if (fields.residual !== undefined) row.cells[5].textContent = fmt(fields.residual);
}

/** The method the session runs and why (`method_reason` from session_created or the status). */
function showPlan(requested, method, reason) {
  $("plan").textContent = requested && requested !== method ? `${requested} → ${method}` : method || "—";
  $("method-reason").textContent = reason ? `${method}: ${reason}` : "";
  $("method-used").textContent = method || "—";
}

function showStatus(status) {
  $("iteration").textContent = status.iteration ?? "—";
  $("residual").textContent = fmt(status.relative_residual);
  $("applied-seq").textContent = status.last_applied_seq ?? "—";
  if (status.phase) setPhase(status.phase);
}

/** Shows a session: resets the view, then subscribes from its first retained event (`created`: the session_created). */
async function watchSession(sid, created = null, requested = null) {
  if (state.sid && state.sid !== sid) socket.request({ type: "unsubscribe", session_id: state.sid }).catch(() => {});
  Object.assign(state, { sid, lastSeq: 0, rateSamples: [], lastRate: null, pending: new Map(), lastIteration: 0, lastResidual: null, received: [] });
  state.watch = null;
  const status = created || await api("GET", `/api/v1/status/${encodeURIComponent(sid)}`);
  Object.assign(state, { rows: status.rows, tolerance: status.tolerance, appliedSeq: status.last_applied_seq || 0 });
  $("sid").textContent = sid;
  showPlan(requested, status.method, status.method_reason);
  for (const id of ["iteration", "residual", "rate", "applied-seq"]) $(id).textContent = "—";
  $("convergence").textContent = "";
  $("watched").querySelector("tbody").replaceChildren();
  previous.clear();
  plot?.reset(status.tolerance);
  setPhase(status.phase);
  enableSessionControls(true);
  // The form's watch list is kept across sessions; a smaller system watches the entries it has.
  const watch = parseList($("watch-indices").value, "watch indices", true).filter((i) => i < state.rows);
  state.watch = watch.length ? watch : null;
  solution.reset(sid, state.rows, null);
  applyShape(false);
  await resubscribe(0);
  refreshSessions();
}

function setPhase(phase, reason) {
  state.phase = phase;
  const kind = { converged: "good", solving: "warn", stopped: "bad", closed: "off" }[phase] || "off";
  badge($("phase"), reason ? `${phase}: ${reason}` : phase, kind);
  if (phase !== "solving") $("rate").textContent = state.lastRate ? `idle (last ${state.lastRate})` : "idle";
  updateCurrentRow({ phase });
}

// ---- events ----

function onEvent(event) {
  if (event.session_id !== state.sid || event.seq <= state.lastSeq) return; // another session, or a replayed duplicate
  state.lastSeq = event.seq;
  state.received.push(event.seq);
  if (state.received.length > 5000) state.received.splice(0, 1000);
  if (event.last_applied_seq != null) {
    $("applied-seq").textContent = event.last_applied_seq;
    const frame = event.type === "iteration_update" || event.type === "convergence_signal";
    if (frame && event.last_applied_seq > state.appliedSeq) applied(event);
  }
  switch (event.type) {
    case "iteration_update": return onFrame(event);
    case "convergence_signal": return onSignal(event);
    case "verification_result":
      showVerification(event);
      return logEvent(`verification ${event.trigger || ""}: ${event.verified ? "verified" : "NOT verified"}, max error ${fmt(event.max_error)}${event.drift_detected ? ", drift detected" : ""}`,
        event.verified ? "" : "bad");
    case "correction_applied":
      plot?.markCorrection(state.lastIteration, state.lastResidual);
      return logEvent(`correction: ${event.trigger} → ${event.action}${event.detail ? ` (${event.detail})` : ""}`, "warn");
    case "update_rejected": {
      const update = state.pending.get(event.update_seq);
      state.pending.delete(event.update_seq);
      if (update) $("push-state").textContent = `update #${event.update_seq} rejected: ${event.error?.code}`;
      return showError(`Update #${event.update_seq} rejected`, new SolverError(event.error || {}));
    }
    case "session_closed":
      setPhase("closed", event.reason);
      enableSessionControls(false);
      logEvent(`session closed: ${event.reason}`);
      return refreshSessions();
  }
}

/** The first event reflecting updates up to `last_applied_seq`: a marker on the plot, and a note for updates that came
 * from elsewhere (another client, the HTTP API, the swarm). */
function applied(event) {
  const from = state.appliedSeq;
  state.appliedSeq = event.last_applied_seq;
  const residual = event.relative_residual ?? event.current_state?.relative_residual;
  plot?.markUpdate(event.iteration, residual);
  for (const [seq, update] of state.pending) if (seq <= state.appliedSeq && !update.markedAt) update.markedAt = event.iteration;
  const own = [...state.pending.keys()].some((seq) => seq > from && seq <= state.appliedSeq);
  if (!own) logEvent(`update #${state.appliedSeq} applied (from another client)${event.mode ? `, re-converging by ${event.mode}` : ""}`);
}

function onFrame(f) {
  if (state.phase !== "solving") setPhase("solving");
  plot?.add(f.iteration, f.relative_residual);
  state.lastIteration = f.iteration;
  state.lastResidual = f.relative_residual;
  $("iteration").textContent = f.iteration;
  $("residual").textContent = fmt(f.relative_residual);
  $("method-used").textContent = f.mode ? `${f.method} (${f.mode})` : f.method;
  if (f.verified != null) badge($("verified"), f.verified ? `verified ${f.verification_score?.toFixed(3) ?? ""}` : "not verified", f.verified ? "good" : "warn");
  updateRate(Date.parse(f.timestamp), f.iteration);
  updateCurrentRow({ iteration: f.iteration, residual: f.relative_residual, method: f.method });
  showEntries(f.x_partial, state.watch ? "watched entries" : "entries that changed most in the last frame");
  solution.patch(f.x_partial);
  solution.request(1000); // a long solve redraws all of x about once a second
}

function updateRate(time, iteration) {
  const samples = state.rateSamples;
  samples.push([time, iteration]);
  while (samples.length > 2 && time - samples[0][0] > 2000) samples.shift();
  const [t0, i0] = samples[0];
  if (time - t0 < 30) return;
  state.lastRate = `${Math.round(((iteration - i0) * 1000) / (time - t0)).toLocaleString()} it/s`;
  $("rate").textContent = state.lastRate;
}

function onSignal(s) {
  const residual = s.current_state?.relative_residual;
  plot?.add(s.iteration, residual);
  state.lastIteration = s.iteration;
  state.lastResidual = residual;
  $("iteration").textContent = s.iteration;
  $("residual").textContent = fmt(residual);
  setPhase(s.converged ? "converged" : "stopped", s.converged ? null : s.reason);
  updateCurrentRow({ iteration: s.iteration, residual });
  state.rateSamples = [];
  const criteria = s.criteria || {};
  $("convergence").textContent = s.converged
    ? `converged at iteration ${s.iteration}: ‖b − Ax‖ ≤ ${criteria.residual_threshold} · ‖b‖ for ${criteria.consecutive_iterations} iterations (${s.reconvergence_mode || ""})`
    : `stopped at iteration ${s.iteration}: ${s.reason}`;
  for (const [seq, update] of state.pending) {
    if (s.last_applied_seq < seq) continue;
    const ms = Math.round(performance.now() - update.sentAt);
    const iterations = s.iteration - update.startIteration;
    const text = `update #${seq} ${s.converged ? "re-converged" : "stopped"} after ${iterations} iterations, ${ms} ms (residual ${fmt(residual)})`;
    $("push-state").textContent = text;
    logEvent(text, s.converged ? "good" : "bad");
    state.pending.delete(seq);
  }
  logEvent(`convergence_signal: ${s.converged ? "converged" : `not converged (${s.reason})`} at iteration ${s.iteration}`, s.converged ? "good" : "bad");
  solution.request();
}

function showVerification(v) {
  const probes = v.probed_indices ? v.probed_indices.length : (v.residual_components || []).length;
  badge($("verified"), v.verified ? "verified" : "NOT verified", v.verified ? "good" : "bad");
  $("verify-state").textContent = `${v.verified ? "verified" : "not verified"} on ${probes} probes; max error ${fmt(v.max_error)}, `
    + `estimated residual ${fmt(v.estimated_residual_norm)}${v.drift_detected ? "; drift detected" : ""}${v.correction_applied ? "; correction applied" : ""}`;
}

// ---- solution view ----

const previous = new Map();

function showEntries(partial, note) {
  if (!partial || !partial.indices) return;
  const rows = partial.indices.map((index, k) => {
    const value = partial.values[k];
    const change = previous.has(index) ? value - previous.get(index) : 0;
    previous.set(index, value);
    const row = document.createElement("tr");
    for (const text of [index, value.toPrecision(8), change ? change.toExponential(2) : "0"]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  });
  $("watched").querySelector("tbody").replaceChildren(...rows.slice(0, 16));
  $("watched-note").textContent = note + (rows.length > 16 ? ` (16 of ${rows.length} shown)` : "");
}

/** The heat map's layout from the form: auto = the generator's grid for sessions made here, else a strip. */
function applyShape(report = true) {
  try {
    let shape = parseShape($("grid-shape").value, state.rows);
    if (shape === undefined) {
      const known = state.sid ? knownShapes.get(state.sid) : null;
      shape = known && known.rows * known.cols === state.rows ? known : null;
    }
    solution.setShape(shape);
  } catch (e) {
    if (report) showError("Heat map layout", e);
    else solution.setShape(null);
  }
}

async function download(kind) {
  clearError();
  try {
    const saved = await solution.download(kind);
    $("download-state").textContent = `saved ${saved.name} (${saved.entries.toLocaleString()} entries)`;
  } catch (e) {
    showError(`Download ${kind.toUpperCase()}`, e);
  }
}

// ---- forms ----

async function buildSystem() {
  const source = document.querySelector("input[name=source]:checked").value;
  if (source === "generator") {
    const kind = $("gen-kind").value;
    if (kind === "laplacian") return laplacian2d($("gen-side").value, $("gen-shift").value);
    if (kind === "random") return randomDiagonallyDominant($("gen-n").value, $("gen-per-row").value, $("gen-seed").value);
    return pagerank($("gen-n").value, $("gen-degree").value, $("gen-alpha").value, $("gen-seed").value);
  }
  const file = $("mtx-file").files[0];
  if (!file) throw new SolverError({ code: "missing_field", field: "file", message: "choose a Matrix Market (.mtx) file" });
  const matrix = parseMatrixMarket(await file.text());
  const random = rng(1);
  const vector = Array.from({ length: matrix.rows }, () => ($("mtx-rhs").value === "random" ? random() * 2 - 1 : 1));
  return { matrix, vector, label: `${file.name} (${matrix.rows}×${matrix.cols}, ${matrix.values.length} nonzeros)` };
}

async function createSession(event) {
  event.preventDefault();
  clearError();
  $("create").disabled = true;
  try {
    const system = await buildSystem();
    $("create-note").textContent = `sending ${system.label}…`;
    const options = {};
    if ($("tolerance").value !== "") options.tolerance = Number($("tolerance").value);
    if ($("max-iterations").value !== "") options.max_iterations = Number($("max-iterations").value);
    const method = $("method").value || "hybrid";
    const request = { type: "solve_request", matrix: wireMatrix(system.matrix), vector: system.vector, method, options };
    const created = await socket.request(request, 120000);
    if (system.grid) knownShapes.set(created.session_id, system.grid);
    $("create-note").textContent = `${system.label}: ${method === created.method ? method : `${method} → ${created.method}`}`;
    logEvent(`session ${created.session_id} created: ${system.label}, ${created.method}${created.method_reason ? ` (${created.method_reason})` : ""}`);
    await watchSession(created.session_id, created, method);
  } catch (e) {
    $("create-note").textContent = "";
    showError("Start session", e);
  } finally {
    $("create").disabled = false;
  }
}

/** Sends a cost_update for the current session; its re-convergence is reported when the events reflect it. */
async function sendUpdate(fields, what) {
  const message = { type: "cost_update", session_id: state.sid, source_node: "dashboard", ...fields };
  const sentAt = performance.now();
  const ack = await socket.request(message);
  state.pending.set(ack.seq, { sentAt, startIteration: state.lastIteration, markedAt: null });
  $("push-state").textContent = `${what}update #${ack.seq} accepted; waiting for re-convergence…`;
  logEvent(`ack: ${what}update #${ack.seq}`);
  return ack;
}

async function pushUpdate(event) {
  event.preventDefault();
  clearError();
  try {
    const fields = {};
    const indices = parseList($("delta-indices").value, "b indices", true);
    const values = parseList($("delta-values").value, "b += values", false);
    if (indices.length || values.length) fields.delta_costs = { indices, values };
    if ($("mu-row").value !== "" || $("mu-col").value !== "" || $("mu-new").value !== "") {
      const entry = { row: Number($("mu-row").value), col: Number($("mu-col").value), new_value: Number($("mu-new").value) };
      if ($("mu-old").value !== "") entry.old_value = Number($("mu-old").value);
      fields.matrix_updates = [entry];
    }
    await sendUpdate(fields, "");
  } catch (e) {
    $("push-state").textContent = "";
    showError("Push update", e);
  }
}

/** A click on the heat map adds the "click a cell" amount to b at that cell's index. */
async function pushToCell(index) {
  if (!state.sid || state.phase === "closed") return;
  clearError();
  try {
    const value = Number($("click-delta").value);
    if ($("click-delta").value === "" || !Number.isFinite(value)) {
      throw new SolverError({ code: "invalid_argument", field: "click a cell", message: "must be a number" });
    }
    await sendUpdate({ delta_costs: { indices: [index], values: [value] } }, `b[${index}] += ${value}: `);
  } catch (e) {
    showError("Push update", e);
  }
}

async function verifyNow() {
  clearError();
  try {
    const result = await socket.request({ type: "verify", session_id: state.sid, probe_count: Number($("probe-count").value) });
    showVerification(result);
    logEvent(`verify: ${result.verified ? "verified" : "NOT verified"}, max error ${fmt(result.max_error)}`, result.verified ? "good" : "bad");
  } catch (e) {
    showError("Verify", e);
  }
}

async function watchIndices(event) {
  event.preventDefault();
  clearError();
  try {
    const indices = parseList($("watch-indices").value, "watch indices", true);
    const before = state.watch;
    state.watch = indices.length ? indices : null;
    try {
      await resubscribe(state.lastSeq);
    } catch (e) {
      state.watch = before;
      throw e;
    }
    previous.clear();
    $("watched-note").textContent = state.watch ? `watching ${state.watch.length} entries` : "showing the entries that change most";
  } catch (e) {
    showError("Watch indices", e);
  }
}

function showGeneratorFields() {
  const kind = $("gen-kind").value;
  for (const label of document.querySelectorAll("#gen-fields [data-kind]")) label.hidden = !label.dataset.kind.split(" ").includes(kind);
  const upload = document.querySelector("input[name=source]:checked").value === "upload";
  $("gen-fields").hidden = upload;
  $("upload-fields").hidden = !upload;
}

// ---- start ----

function start() {
  $("token").value = token.get();
  $("token-save").onclick = () => { token.set($("token").value.trim()); socket.restart(); refreshSessions(); };
  $("error-close").onclick = clearError;
  $("sessions-refresh").onclick = refreshSessions;
  $("create-form").addEventListener("submit", createSession);
  $("push-form").addEventListener("submit", pushUpdate);
  $("verify").onclick = verifyNow;
  $("watch-form").addEventListener("submit", watchIndices);
  $("layout-form").addEventListener("submit", (e) => { e.preventDefault(); clearError(); applyShape(); });
  $("download-json").onclick = () => download("json");
  $("download-csv").onclick = () => download("csv");
  $("gen-kind").onchange = showGeneratorFields;
  for (const radio of document.querySelectorAll("input[name=source]")) radio.onchange = showGeneratorFields;
  showGeneratorFields();
  try {
    plot = new ResidualPlot($("residual-chart"));
  } catch (e) {
    showError("Residual plot", e);
  }
  socket.connect();
  refreshSessions();
  // The list has no event stream of its own: it is read every 20 s while the page is visible, on demand, and when a
  // session starts, ends or is deleted here. The current session's row follows its events.
  setInterval(() => { if (!document.hidden) refreshSessions(); }, LIST_REFRESH_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refreshSessions(); });
  window.dashboard = {
    state, plot, socket, heat, solution, refreshSessions, watchSession,
    /** The live WebSocket (debug hook: `window.dashboard.ws.close()` exercises reconnect and resume). */
    get ws() { return socket.socket; },
  };
}

start();
