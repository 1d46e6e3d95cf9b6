// The heat map of x on a canvas: a rows×cols grid for grid-shaped systems, a strip otherwise. Colours are viridis
// (perceptually uniform, readable in greyscale and by colour-blind viewers), scaled linearly from min to max of what
// is drawn, with a legend bar under the map.

// matplotlib's viridis at 0, 0.1, …, 1; interpolated linearly into a 256-entry table.
const VIRIDIS_STOPS = [[68, 1, 84], [72, 36, 117], [65, 68, 135], [53, 95, 141], [42, 120, 142], [33, 145, 140],
  [34, 168, 132], [68, 191, 112], [122, 209, 81], [189, 223, 38], [253, 231, 37]];

export const VIRIDIS = (() => {
  const table = new Uint8ClampedArray(256 * 3);
  for (let k = 0; k < 256; k++) {
    const t = (k / 255) * (VIRIDIS_STOPS.length - 1);
    const i = Math.min(Math.floor(t), VIRIDIS_STOPS.length - 2), u = t - i;
    for (let c = 0; c < 3; c++) table[k * 3 + c] = VIRIDIS_STOPS[i][c] + (VIRIDIS_STOPS[i + 1][c] - VIRIDIS_STOPS[i][c]) * u;
  }
  return table;
})();

const MAX_IMAGE = 512;      // image pixels per side; larger grids are averaged into blocks
const GRID_BOX = 384;       // CSS pixels of the longer side of a grid map
const STRIP = [560, 36];    // canvas size of a strip
const MIN_RENDER_GAP = 100; // ms between renders (patches arrive with every iteration frame)

/** `{rows, cols, indexOf(k)}`: cell k = r·cols + c of the drawn grid shows x[indexOf(k)]. */
export function layout(rows, cols, indices = null) {
  return { rows, cols, indexOf: indices ? (k) => indices[k] : (k) => k, sampled: !!indices };
}

export class HeatMap {
  /** `legend`: {bar (canvas), min, mid, max, hover, note} elements; `onCellClick(index, value)` for clicks. */
  constructor(canvas, legend, onCellClick) {
    this.canvas = canvas;
    this.legend = legend;
    this.onCellClick = onCellClick;
    this.values = null;
    this.layout = null;
    this.position = null;
    this.renderedAt = 0;
    this.timer = null;
    this.renders = 0;
    canvas.addEventListener("mousemove", (e) => { this.pointer = { offsetX: e.offsetX, offsetY: e.offsetY }; this.hover(); });
    canvas.addEventListener("mouseleave", () => { this.pointer = null; this.legend.hover.textContent = ""; });
    canvas.addEventListener("click", (e) => {
      const cell = this.cellAt(e);
      if (cell && this.onCellClick) this.onCellClick(cell.index, cell.value);
    });
    this.drawLegendBar();
  }

  get isGrid() { return !!this.layout && this.layout.rows > 1; }

  clear(note = "") {
    this.values = null;
    this.layout = null;
    this.position = null;
    this.canvas.getContext("2d").clearRect(0, 0, this.canvas.width, this.canvas.height);
    for (const key of ["min", "mid", "max", "hover"]) this.legend[key].textContent = "";
    this.legend.note.textContent = note;
  }

  /** Shows `values` (a Float64Array or array, owned by the map from now on) laid out by `lay`. */
  draw(values, lay, note) {
    const resized = !this.layout || this.layout.rows !== lay.rows || this.layout.cols !== lay.cols;
    this.values = values;
    this.layout = lay;
    this.position = null;
    if (resized) this.resize();
    if (note != null) this.legend.note.textContent = note;
    this.render();
  }

  /** Sets x[index] = value for the entries that are drawn (from an `iteration_update`'s `x_partial`). */
  patch(indices, values) {
    if (!this.values || !indices?.length) return;
    if (this.layout.sampled && !this.position) {
      this.position = new Map();
      for (let k = 0; k < this.values.length; k++) this.position.set(this.layout.indexOf(k), k);
    }
    let changed = false;
    for (let j = 0; j < indices.length; j++) {
      const k = this.position ? this.position.get(indices[j]) : indices[j];
      if (k != null && k < this.values.length) { this.values[k] = values[j]; changed = true; }
    }
    if (changed) this.schedule();
  }

  /** Renders at most once per MIN_RENDER_GAP ms. */
  schedule() {
    if (this.timer) return;
    const wait = Math.max(0, this.renderedAt + MIN_RENDER_GAP - performance.now());
    this.timer = setTimeout(() => requestAnimationFrame(() => { this.timer = null; this.render(); }), wait);
  }

  resize() {
    const { rows, cols } = this.layout;
    if (rows > 1) {
      const scale = GRID_BOX / Math.max(rows, cols);
      this.canvas.width = Math.max(8, Math.round(cols * scale));
      this.canvas.height = Math.max(8, Math.round(rows * scale));
      this.canvas.className = "grid";
    } else {
      [this.canvas.width, this.canvas.height] = STRIP;
      this.canvas.className = "strip";
    }
  }

  render() {
    this.renderedAt = performance.now();
    this.renders++;
    const { values, layout: lay, canvas } = this;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!values || !values.length) return;
    let min = Infinity, max = -Infinity;
    for (const x of values) if (Number.isFinite(x)) { if (x < min) min = x; if (x > max) max = x; }
    if (min > max) return;
    const span = max - min || 1;
    // Average the cells into an image of at most MAX_IMAGE pixels per side (a strip: one pixel column per canvas pixel).
    const iw = Math.min(lay.cols, lay.rows > 1 ? MAX_IMAGE : canvas.width), ih = Math.min(lay.rows, MAX_IMAGE);
    const sum = new Float64Array(iw * ih), count = new Uint32Array(iw * ih);
    for (let k = 0; k < values.length; k++) {
      const x = values[k];
      if (!Number.isFinite(x)) continue;
      const r = Math.floor(k / lay.cols), c = k - r * lay.cols;
      const p = Math.floor((r * ih) / lay.rows) * iw + Math.floor((c * iw) / lay.cols);
      sum[p] += x;
      count[p]++;
    }
    const image = new ImageData(iw, ih);
    for (let p = 0; p < iw * ih; p++) {
      const o = p * 4;
      if (!count[p]) { image.data[o] = image.data[o + 1] = image.data[o + 2] = 200; image.data[o + 3] = 255; continue; }
      const t = Math.max(0, Math.min(255, Math.round(((sum[p] / count[p] - min) / span) * 255))) * 3;
      image.data[o] = VIRIDIS[t];
      image.data[o + 1] = VIRIDIS[t + 1];
      image.data[o + 2] = VIRIDIS[t + 2];
      image.data[o + 3] = 255;
    }
    const off = new OffscreenCanvas(iw, ih);
    off.getContext("2d").putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
    const digits = (x) => (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : x.toPrecision(5));
    this.legend.min.textContent = digits(min);
    this.legend.mid.textContent = digits((min + max) / 2);
    this.legend.max.textContent = digits(max);
    this.min = min;
    this.max = max;
    this.hover();
  }

  drawLegendBar() {
    const bar = this.legend.bar;
    const ctx = bar.getContext("2d");
    const image = ctx.createImageData(bar.width, 1);
    for (let x = 0; x < bar.width; x++) {
      const t = Math.round((x / (bar.width - 1)) * 255) * 3;
      image.data.set([VIRIDIS[t], VIRIDIS[t + 1], VIRIDIS[t + 2], 255], x * 4);
    }
    for (let y = 0; y < bar.height; y++) ctx.putImageData(image, 0, y);
  }

  /** The cell under a mouse event: {index, value, row, col}. */
  cellAt(e) {
    if (!this.values) return null;
    const { rows, cols } = this.layout;
    const c = Math.min(cols - 1, Math.max(0, Math.floor((e.offsetX / this.canvas.clientWidth) * cols)));
    const r = Math.min(rows - 1, Math.max(0, Math.floor((e.offsetY / this.canvas.clientHeight) * rows)));
    const k = r * cols + c;
    if (k >= this.values.length) return null;
    return { index: this.layout.indexOf(k), value: this.values[k], row: r, col: c };
  }

  /** Names the entry under the pointer (again after each render, so the value shown is the current one). */
  hover() {
    if (!this.pointer) return;
    const cell = this.cellAt(this.pointer);
    if (!cell) return;
    const where = this.isGrid && !this.layout.sampled ? ` (row ${cell.row}, col ${cell.col})` : "";
    this.legend.hover.textContent = `x[${cell.index}]${where} = ${cell.value.toPrecision(6)}`;
  }
}
