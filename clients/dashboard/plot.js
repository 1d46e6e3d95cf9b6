// The live residual plot (Chart.js from Debian's libjs-chart.js, log-scale y) and the heat strip of x (canvas).

const MAX_POINTS = 4000;

export class ResidualPlot {
  constructor(canvas) {
    if (!window.Chart) throw new Error("Chart.js is missing: install Debian's libjs-chart.js (served at /vendor/chart.js/)");
    this.chart = new window.Chart(canvas, {
      type: "line",
      data: {
        datasets: [
          { label: "relative residual ‖b − Ax‖/‖b‖", data: [], borderColor: "#2563eb", backgroundColor: "#2563eb",
            borderWidth: 1.5, pointRadius: 0, tension: 0 },
          { label: "tolerance", data: [], borderColor: "#16a34a", borderDash: [6, 4], borderWidth: 1, pointRadius: 0 },
          { label: "cost update applied", data: [], type: "scatter", borderColor: "#dc2626", backgroundColor: "#dc2626",
            pointRadius: 5, pointStyle: "triangle" },
        ],
      },
      options: {
        animation: false, parsing: false, normalized: true, maintainAspectRatio: false,
        scales: {
          x: { type: "linear", title: { display: true, text: "iteration" } },
          y: { type: "logarithmic", title: { display: true, text: "relative residual (log)" },
            ticks: { callback: (v) => (Number.isInteger(Math.round(Math.log10(v) * 1e6) / 1e6) ? `1e${Math.round(Math.log10(v))}` : "") } },
        },
        plugins: { legend: { position: "bottom", labels: { boxHeight: 2 } } },
      },
    });
    this.scheduled = false;
  }

  get residuals() { return this.chart.data.datasets[0].data; }

  reset(tolerance) {
    for (const d of this.chart.data.datasets) d.data = [];
    this.tolerance = tolerance;
    this.redraw();
  }

  /** Adds one (iteration, relative residual) point; thins the older half when the plot gets long. */
  add(iteration, residual) {
    if (!(residual > 0)) residual = Number.MIN_VALUE;
    const data = this.residuals;
    const last = data[data.length - 1];
    if (last && last.x === iteration) last.y = residual;
    else data.push({ x: iteration, y: residual });
    if (data.length > MAX_POINTS) {
      const half = Math.floor(data.length / 2);
      const thinned = data.slice(0, half).filter((_, k) => k % 2 === 0);
      this.chart.data.datasets[0].data = thinned.concat(data.slice(half));
    }
    this.redraw();
  }

  markUpdate(iteration, residual) {
    this.chart.data.datasets[2].data.push({ x: iteration, y: residual > 0 ? residual : Number.MIN_VALUE });
    this.redraw();
  }

  /** Coalesces redraws to one per animation frame. */
  redraw() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      const data = this.residuals;
      if (this.tolerance && data.length) {
        this.chart.data.datasets[1].data = [{ x: data[0].x, y: this.tolerance }, { x: data[data.length - 1].x, y: this.tolerance }];
      }
      this.chart.update("none");
    });
  }
}

/** Diverging blue–white–red colour for t in [−1, 1]. */
function colour(t) {
  const s = Math.max(-1, Math.min(1, t));
  const mix = (a, b, u) => Math.round(a + (b - a) * u);
  return s < 0 ? `rgb(${mix(255, 37, -s)},${mix(255, 99, -s)},${mix(255, 235, -s)})`
    : `rgb(${mix(255, 220, s)},${mix(255, 38, s)},${mix(255, 38, s)})`;
}

/** x drawn as one coloured column per pixel (the mean of the entries that fall into it), scaled by max |x|. */
export class HeatStrip {
  constructor(canvas, legend) {
    this.canvas = canvas;
    this.legend = legend;
    this.values = [];
    this.indices = null;
    canvas.addEventListener("mousemove", (e) => this.hover(e));
    canvas.addEventListener("mouseleave", () => { this.legend.hover.textContent = ""; });
  }

  /** `values` at `indices` (all of x when indices is null). */
  draw(values, indices = null) {
    this.values = values;
    this.indices = indices;
    const { width, height } = this.canvas;
    const ctx = this.canvas.getContext("2d");
    ctx.clearRect(0, 0, width, height);
    if (!values.length) return;
    let scale = 0, min = Infinity, max = -Infinity;
    for (const x of values) { scale = Math.max(scale, Math.abs(x)); min = Math.min(min, x); max = Math.max(max, x); }
    scale = scale || 1;
    const columns = Math.min(width, values.length);
    const step = width / columns;
    for (let c = 0; c < columns; c++) {
      const from = Math.floor((c * values.length) / columns), to = Math.max(from + 1, Math.floor(((c + 1) * values.length) / columns));
      let sum = 0;
      for (let k = from; k < to; k++) sum += values[k];
      ctx.fillStyle = colour(sum / (to - from) / scale);
      ctx.fillRect(Math.floor(c * step), 0, Math.ceil(step), height);
    }
    this.legend.min.textContent = `min ${min.toPrecision(4)}`;
    this.legend.max.textContent = `max ${max.toPrecision(4)}`;
  }

  hover(e) {
    if (!this.values.length) return;
    const k = Math.min(this.values.length - 1, Math.floor((e.offsetX / this.canvas.clientWidth) * this.values.length));
    const index = this.indices ? this.indices[k] : k;
    this.legend.hover.textContent = `x[${index}] = ${this.values[k].toPrecision(6)}`;
  }
}
