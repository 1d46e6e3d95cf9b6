// The live residual plot (Chart.js from Debian's libjs-chart.js, log-scale y), with markers where cost updates were
// applied and where the service corrected the solve.

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
          { label: "correction", data: [], type: "scatter", borderColor: "#d97706", backgroundColor: "#d97706",
            pointRadius: 5, pointStyle: "rectRot" },
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

  /** A marker where a cost update was first reflected (only at a plotted point: no residual, no marker). */
  markUpdate(iteration, residual) { this.mark(2, iteration, residual); }

  /** A marker where the service corrected the solve (`correction_applied`). */
  markCorrection(iteration, residual) { this.mark(3, iteration, residual); }

  mark(dataset, iteration, residual) {
    if (!Number.isFinite(iteration) || !(residual > 0)) return;
    this.chart.data.datasets[dataset].data.push({ x: iteration, y: residual });
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
