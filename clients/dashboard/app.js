// solverd dashboard: sessions, new sessions from generators or Matrix Market files, a live residual plot, the
// solution (watched entries and a heat strip), cost updates with their re-convergence, and verification.

import { api, SolverError, SolverSocket, token } from "./api.js";
import { laplacian2d, pagerank, parseMatrixMarket, randomDiagonallyDominant, rng, wireMatrix } from "./matrices.js";
import { HeatStrip, ResidualPlot } from "./plot.js";

const $ = (id) => document.getElementById(id);
const fmt = (x) => (typeof x === "number" && Number.isFinite(x) ? x.toExponential(3) : "—");

const state = {
  sid: null, rows: 0, lastSeq: 0, watch: null, tolerance: null, phase: null,
  rateSamples: [], pending: new Map(), lastIteration: 0, lastResidual: null, solutionFetchedAt: 0,
};
let plot = null;
const heat = new HeatStrip($("heat-strip"), { min: $("heat-min"), max: $("heat-max"), hover: $("heat-hover") });

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

// ---- the WebSocket ----

const socket = new SolverSocket({
  onEvent: (event) => onEvent(event),
  onState: (s) => badge($("ws-state"), `WebSocket ${s}`, s === "open" ? "good" : "warn"),
  onReconnect: () => { if (state.sid) resubscribe(state.lastSeq).catch((e) => showError("Resubscribe", e)); },
  onUnmatchedError: (e) => showError("Server error", e),
});

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
    return socket.request(message);
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

/** Shows a session: resets the view, then subscribes from its first retained event (`created`: already subscribed). */
async function watchSession(sid, created = null) {
  if (state.sid && state.sid !== sid) socket.request({ type: "unsubscribe", session_id: state.sid }).catch(() => {});
  Object.assign(state, { sid, lastSeq: 0, rateSamples: [], lastRate: null, pending: new Map(), lastIteration: 0, lastResidual: null, solutionFetchedAt: 0 });
  state.watch = null;
  const status = created || await api("GET", `/api/v1/status/${encodeURIComponent(sid)}`);
  Object.assign(state, { rows: status.rows, tolerance: status.tolerance });
  $("sid").textContent = sid;
  $("method-used").textContent = status.method;
  $("watched").querySelector("tbody").replaceChildren();
  plot?.reset(status.tolerance);
  setPhase(status.phase);
  for (const id of ["push", "verify", "watch"]) $(id).disabled = false;
  // The form's watch list is kept across sessions; a smaller system watches the entries it has.
  const watch = parseList($("watch-indices").value, "watch indices", true).filter((i) => i < state.rows);
  state.watch = watch.length ? watch : null;
  await resubscribe(0);
  refreshSolution(true);
  refreshSessions();
}

function setPhase(phase, reason) {
  state.phase = phase;
  const kind = { converged: "good", solving: "warn", stopped: "bad", closed: "off" }[phase] || "off";
  badge($("phase"), reason ? `${phase}: ${reason}` : phase, kind);
  if (phase !== "solving") $("rate").textContent = state.lastRate ? `idle (last ${state.lastRate})` : "idle";
}

// ---- events ----

function onEvent(event) {
  if (event.session_id !== state.sid || event.seq <= state.lastSeq) return; // another session, or a replayed duplicate
  state.lastSeq = event.seq;
  $("applied-seq").textContent = event.last_applied_seq ?? $("applied-seq").textContent;
  switch (event.type) {
    case "iteration_update": return onFrame(event);
    case "convergence_signal": return onSignal(event);
    case "verification_result":
      showVerification(event);
      return logEvent(`verification ${event.trigger || ""}: ${event.verified ? "verified" : "NOT verified"}, max error ${fmt(event.max_error)}${event.drift_detected ? ", drift detected" : ""}`,
        event.verified ? "" : "bad");
    case "correction_applied": return logEvent(`correction: ${event.trigger} → ${event.action} (${event.detail || ""})`, "warn");
    case "update_rejected":
      return showError(`Update #${event.update_seq} rejected`, new SolverError(event.error));
    case "session_closed":
      setPhase("closed", event.reason);
      for (const id of ["push", "verify", "watch"]) $(id).disabled = true;
      logEvent(`session closed: ${event.reason}`);
      return refreshSessions();
  }
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
  for (const [seq, update] of state.pending) {
    if (!update.markedAt && f.last_applied_seq >= seq) {
      update.markedAt = f.iteration;
      plot?.markUpdate(f.iteration, f.relative_residual);
    }
  }
  showEntries(f.x_partial, state.watch ? "watched entries" : "entries that changed most in the last frame");
  if (performance.now() - state.solutionFetchedAt > 1000) refreshSolution();
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
  $("iteration").textContent = s.iteration;
  $("residual").textContent = fmt(residual);
  setPhase(s.converged ? "converged" : "stopped", s.converged ? null : s.reason);
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
    if (!update.markedAt) plot?.markUpdate(s.iteration, residual);
    state.pending.delete(seq);
  }
  logEvent(`convergence_signal: ${s.converged ? "converged" : `not converged (${s.reason})`} at iteration ${s.iteration}`, s.converged ? "good" : "bad");
  refreshSolution(true);
  refreshSessions();
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

/** Redraws the heat strip from GET …/solution (at most once a second unless forced; sampled above 100k entries). */
async function refreshSolution(force = false) {
  if (!state.sid || (!force && performance.now() - state.solutionFetchedAt < 1000)) return;
  state.solutionFetchedAt = performance.now();
  const sid = state.sid;
  let query = "";
  if (state.rows > 100_000) {
    const step = state.rows / 512;
    query = `?indices=${Array.from({ length: 512 }, (_, k) => Math.floor(k * step)).join(",")}`;
  }
  try {
    const s = await api("GET", `/api/v1/sessions/${encodeURIComponent(sid)}/solution${query}`);
    if (sid === state.sid) heat.draw(s.x || s.values, s.indices || null);
  } catch (e) {
    if (e.code !== "session_not_found") showError("Read solution", e);
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
    const request = { type: "solve_request", matrix: wireMatrix(system.matrix), vector: system.vector, options };
    if ($("method").value) request.method = $("method").value;
    const created = await socket.request(request, 120000);
    $("create-note").textContent = `${system.label}: ${created.method} (${created.method_reason})`;
    logEvent(`session ${created.session_id} created: ${system.label}, ${created.method}`);
    await watchSession(created.session_id, created);
  } catch (e) {
    $("create-note").textContent = "";
    showError("Start session", e);
  } finally {
    $("create").disabled = false;
  }
}

async function pushUpdate(event) {
  event.preventDefault();
  clearError();
  try {
    const message = { type: "cost_update", session_id: state.sid, source_node: "dashboard" };
    const indices = parseList($("delta-indices").value, "b indices", true);
    const values = parseList($("delta-values").value, "b += values", false);
    if (indices.length || values.length) message.delta_costs = { indices, values };
    if ($("mu-row").value !== "" || $("mu-col").value !== "" || $("mu-new").value !== "") {
      const entry = { row: Number($("mu-row").value), col: Number($("mu-col").value), new_value: Number($("mu-new").value) };
      if ($("mu-old").value !== "") entry.old_value = Number($("mu-old").value);
      message.matrix_updates = [entry];
    }
    const sentAt = performance.now();
    const ack = await socket.request(message);
    state.pending.set(ack.seq, { sentAt, startIteration: state.lastIteration, markedAt: null });
    $("push-state").textContent = `update #${ack.seq} accepted; waiting for re-convergence…`;
    logEvent(`ack: update #${ack.seq}`);
  } catch (e) {
    $("push-state").textContent = "";
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
  setInterval(() => { if (!document.hidden) refreshSessions(); }, 5000);
  window.dashboard = { state, plot, socket, refreshSessions, watchSession };
}

start();
