// x of the current session: read with GET /api/v1/sessions/{id}/solution when an event says it changed (throttled),
// patched between reads from `iteration_update.x_partial`, drawn by the heat map, and downloadable as JSON or CSV.

import { api, SolverError } from "./api.js";
import { layout } from "./heatmap.js";

const FULL_LIMIT = 1_048_576; // larger systems are drawn from a sample (a lattice of a grid, or entries of a strip)
// The sample goes in the query string, and solverd's request head holds about 4 KB (it hangs up beyond): ≤ 2.5 KB.
const QUERY_BUDGET = 2500;
const SHAPES_KEY = "solverd.grid-shapes";

/** Grid shapes of sessions this browser created from the 2D Laplacian generator, by session id (kept for 50). */
export const knownShapes = {
  all() { try { return JSON.parse(localStorage.getItem(SHAPES_KEY)) || {}; } catch { return {}; } },
  get(sid) { return this.all()[sid] || null; },
  set(sid, shape) {
    const all = this.all();
    all[sid] = shape;
    const ids = Object.keys(all);
    for (const old of ids.slice(0, Math.max(0, ids.length - 50))) delete all[old];
    localStorage.setItem(SHAPES_KEY, JSON.stringify(all));
  },
};

/** "auto" / "" → undefined (decide from what is known); "strip" → null; "64x64", "64×64", "32 x 128" → {rows, cols}. */
export function parseShape(text, n) {
  const t = text.trim().toLowerCase();
  if (t === "" || t === "auto") return undefined;
  if (t === "strip" || t === "1d") return null;
  const m = t.match(/^(\d+)\s*[x×*,]\s*(\d+)$/);
  if (!m) throw new SolverError({ code: "invalid_argument", field: "layout", message: `"${text}" is not rows×cols, auto or strip` });
  const rows = Number(m[1]), cols = Number(m[2]);
  if (n && rows * cols !== n) {
    throw new SolverError({ code: "invalid_argument", field: "layout", message: `${rows}×${cols} = ${rows * cols} cells, but x has ${n} entries` });
  }
  return { rows, cols };
}

export class SolutionView {
  /** `heat`: the HeatMap; `onError(context, error)`; `onSolution(solution)` after each read. */
  constructor(heat, { onError, onSolution }) {
    this.heat = heat;
    this.onError = onError;
    this.onSolution = onSolution;
    this.minGap = 200; // ≤ 5 reads/s; raised to twice the last read's duration for large x
    this.fullLimit = FULL_LIMIT;
    this.reset(null, 0, null);
  }

  reset(sid, rows, shape) {
    Object.assign(this, { sid, rows, shape, wanted: false, inFlight: false, startedAt: -Infinity, latest: null, reads: 0 });
    clearTimeout(this.timer);
    this.timer = null;
    this.heat.clear(sid ? "reading x…" : "");
  }

  /** Changes the layout (`undefined` = auto) and redraws from the next read. */
  setShape(shape) {
    this.shape = shape;
    this.request(0);
  }

  describeShape() {
    if (!this.shape) return `strip of ${this.rows.toLocaleString()} entries`;
    return `${this.shape.rows}×${this.shape.cols} grid`;
  }

  /** Asks for a read: at once if none ran in the last `gap` ms (≥ minGap), else when that has passed; never two at a time. */
  request(gap = this.minGap) {
    if (!this.sid) return;
    this.wanted = true;
    if (this.inFlight || this.timer) return;
    const wait = Math.max(0, this.startedAt + Math.max(gap, this.minGap) - performance.now());
    this.timer = setTimeout(() => { this.timer = null; this.read(); }, wait);
  }

  /** The query reading what the map shows: all of x, or a sample of a large system. */
  sampleQuery() {
    if (this.rows <= this.fullLimit) return { query: "", lay: null };
    const sample = Math.min(this.rows, Math.floor(QUERY_BUDGET / (String(this.rows - 1).length + 1)));
    let indices, lay;
    if (this.shape) {
      const side = Math.floor(Math.sqrt(sample));
      const lr = Math.min(side, this.shape.rows), lc = Math.min(side, this.shape.cols);
      indices = [];
      for (let r = 0; r < lr; r++) {
        for (let c = 0; c < lc; c++) {
          indices.push(Math.floor(((r + 0.5) * this.shape.rows) / lr) * this.shape.cols + Math.floor(((c + 0.5) * this.shape.cols) / lc));
        }
      }
      lay = layout(lr, lc, indices);
    } else {
      indices = Array.from({ length: sample }, (_, k) => Math.floor(((k + 0.5) * this.rows) / sample));
      lay = layout(1, sample, indices);
    }
    return { query: `?indices=${indices.join(",")}`, lay };
  }

  async read() {
    if (!this.wanted || !this.sid) return;
    this.wanted = false;
    this.inFlight = true;
    this.startedAt = performance.now();
    const sid = this.sid;
    try {
      const { query, lay } = this.sampleQuery();
      const s = await api("GET", `/api/v1/sessions/${encodeURIComponent(sid)}/solution${query}`);
      if (sid !== this.sid) return;
      this.reads++;
      this.latest = s;
      const values = Float64Array.from(lay ? s.values : s.x);
      const full = lay || (this.shape ? layout(this.shape.rows, this.shape.cols) : layout(1, values.length));
      this.heat.draw(values, full, `${this.describeShape()}${lay ? `, sampled at ${values.length} entries` : ""}, `
        + `viridis from min to max; update seq ${s.seq}, iteration ${s.iteration}.`);
      this.onSolution?.(s);
    } catch (e) {
      if (sid === this.sid && e.code !== "session_not_found" && e.code !== "session_closed") this.onError("Read solution", e);
    } finally {
      if (sid === this.sid) {
        this.inFlight = false;
        this.minGap = Math.min(5000, Math.max(200, 2 * (performance.now() - this.startedAt)));
        if (this.wanted) this.request();
      }
    }
  }

  patch(partial) {
    if (partial?.indices?.length) this.heat.patch(partial.indices, partial.values);
  }

  /** Reads all of x now and saves it through a Blob link: `solverd-<session>-seq<seq>.json` or `.csv`. */
  async download(kind) {
    if (!this.sid) throw new SolverError({ code: "no_session", message: "start or watch a session first" });
    const s = await api("GET", `/api/v1/sessions/${encodeURIComponent(this.sid)}/solution`);
    const x = s.x || [];
    let blob;
    if (kind === "csv") {
      const lines = ["index,x"];
      for (let i = 0; i < x.length; i++) lines.push(`${i},${x[i]}`); // shortest round-trip decimal of each double
      blob = new Blob([lines.join("\n") + "\n"], { type: "text/csv" });
    } else {
      blob = new Blob([JSON.stringify(s)], { type: "application/json" });
    }
    const name = `solverd-${s.session_id}-seq${s.seq}.${kind === "csv" ? "csv" : "json"}`;
    const url = URL.createObjectURL(blob);
    const link = Object.assign(document.createElement("a"), { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    return { name, seq: s.seq, entries: x.length };
  }
}
