// Matrices built in the page: generators and a Matrix Market reader, both producing CSR arrays for solve_request.

import { SolverError } from "./api.js";

/** COO triplets → CSR with sorted columns; duplicates are summed (as scipy does). */
export function cooToCsr(rows, cols, rowIdx, colIdx, vals) {
  const count = new Int32Array(rows + 1);
  for (const r of rowIdx) count[r + 1]++;
  for (let i = 0; i < rows; i++) count[i + 1] += count[i];
  const next = count.slice(0, rows);
  const order = new Int32Array(rowIdx.length);
  for (let k = 0; k < rowIdx.length; k++) order[next[rowIdx[k]]++] = k;
  const rowPointers = [0], colIndices = [], values = [];
  for (let i = 0; i < rows; i++) {
    const entries = [];
    for (let p = count[i]; p < count[i + 1]; p++) entries.push([colIdx[order[p]], vals[order[p]]]);
    entries.sort((a, b) => a[0] - b[0]);
    for (const [c, v] of entries) {
      if (colIndices.length > rowPointers[i] && colIndices[colIndices.length - 1] === c) values[values.length - 1] += v;
      else { colIndices.push(c); values.push(v); }
    }
    rowPointers.push(values.length);
  }
  return { rows, cols, rowPointers, colIndices, values };
}

/** The wire `matrix` object of a CSR matrix. */
export function wireMatrix(m) {
  return { rows: m.rows, cols: m.cols, format: "csr",
    data: { row_pointers: m.rowPointers, col_indices: m.colIndices, values: m.values } };
}

/** A small seeded PRNG (mulberry32), so a generator with the same seed gives the same matrix. */
export function rng(seed) {
  let a = (seed >>> 0) || 1;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function positiveInt(value, field, max = 5_000_000) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new SolverError({ code: "invalid_argument", field, message: `must be a whole number in 1…${max}, got "${value}"` });
  }
  return n;
}

function finite(value, field) {
  const x = Number(value);
  if (value === "" || !Number.isFinite(x)) throw new SolverError({ code: "invalid_argument", field, message: `must be a number, got "${value}"` });
  return x;
}

/** 5-point Laplacian + shift on a side×side grid (SPD); b = 1. Unknown i is grid point (row ⌊i/side⌋, col i mod side). */
export function laplacian2d(sideText, shiftText) {
  const side = positiveInt(sideText, "grid side", 2000);
  const shift = finite(shiftText, "shift");
  const n = side * side, r = [], c = [], v = [];
  for (let gy = 0; gy < side; gy++) {
    for (let gx = 0; gx < side; gx++) {
      const i = gy * side + gx;
      const add = (j, x) => { r.push(i); c.push(j); v.push(x); };
      if (gy > 0) add(i - side, -1);
      if (gx > 0) add(i - 1, -1);
      add(i, 4 + shift);
      if (gx < side - 1) add(i + 1, -1);
      if (gy < side - 1) add(i + side, -1);
    }
  }
  return { matrix: cooToCsr(n, n, r, c, v), vector: new Array(n).fill(1), label: `2D Laplacian ${side}×${side} + ${shift}`,
    grid: { rows: side, cols: side } };
}

/** Random strictly diagonally dominant matrix: `perRow` off-diagonals in [−1, 1], diagonal = Σ|off| + 1; b uniform. */
export function randomDiagonallyDominant(nText, perRowText, seedText) {
  const n = positiveInt(nText, "size n");
  const perRow = Math.min(Number(perRowText), n - 1);
  if (!Number.isInteger(perRow) || perRow < 0) throw new SolverError({ code: "invalid_argument", field: "nonzeros/row", message: `must be a whole number ≥ 0, got "${perRowText}"` });
  const random = rng(Number(seedText) || 1);
  const r = [], c = [], v = [];
  for (let i = 0; i < n; i++) {
    const used = new Set([i]);
    let sum = 0;
    while (used.size <= perRow) {
      const j = Math.floor(random() * n);
      if (used.has(j)) continue;
      used.add(j);
      const x = random() * 2 - 1;
      sum += Math.abs(x);
      r.push(i); c.push(j); v.push(x);
    }
    r.push(i); c.push(i); v.push(sum + 1);
  }
  const vector = Array.from({ length: n }, () => random() * 2 - 1);
  return { matrix: cooToCsr(n, n, r, c, v), vector, label: `random diagonally dominant n=${n}` };
}

/** PageRank on a random graph with `degree` out-links per node: (I − αPᵀ) x = (1 − α)/n · 1. */
export function pagerank(nText, degreeText, alphaText, seedText) {
  const n = positiveInt(nText, "size n");
  const degree = Math.min(positiveInt(degreeText, "out-degree"), n - 1);
  const alpha = finite(alphaText, "α");
  if (!(alpha > 0 && alpha < 1)) throw new SolverError({ code: "invalid_argument", field: "α", message: `must be in (0, 1), got ${alpha}` });
  if (degree < 1) throw new SolverError({ code: "invalid_argument", field: "size n", message: "PageRank needs at least 2 nodes" });
  const random = rng(Number(seedText) || 1);
  const r = [], c = [], v = [];
  for (let i = 0; i < n; i++) {
    r.push(i); c.push(i); v.push(1);
    const targets = new Set();
    while (targets.size < degree) {
      const j = Math.floor(random() * n);
      if (j !== i) targets.add(j);
    }
    for (const j of targets) { r.push(j); c.push(i); v.push(-alpha / degree); } // row j of Pᵀ holds P[i][j]
  }
  return { matrix: cooToCsr(n, n, r, c, v), vector: new Array(n).fill((1 - alpha) / n), label: `PageRank n=${n}, α=${alpha}` };
}

/** Reads Matrix Market `coordinate` real/integer/pattern, general/symmetric/skew-symmetric, into CSR. */
export function parseMatrixMarket(text) {
  const lines = text.split(/\r?\n/);
  const fail = (lineNo, message) => { throw new SolverError({ code: "parse_error", field: `line ${lineNo}`, message }); };
  const header = (lines[0] || "").trim().toLowerCase().split(/\s+/);
  if (header[0] !== "%%matrixmarket" || header[1] !== "matrix") fail(1, "not a Matrix Market file: the first line must start with %%MatrixMarket matrix");
  const [, , format, field, symmetry] = header;
  if (format !== "coordinate") fail(1, `only the coordinate format is supported, not "${format}"`);
  if (!["real", "integer", "pattern", "double"].includes(field)) fail(1, `unsupported field "${field}" (use real, integer or pattern)`);
  if (!["general", "symmetric", "skew-symmetric"].includes(symmetry)) fail(1, `unsupported symmetry "${symmetry}"`);
  let k = 1;
  while (k < lines.length && (lines[k].startsWith("%") || lines[k].trim() === "")) k++;
  const size = (lines[k] || "").trim().split(/\s+/).map(Number);
  if (size.length !== 3 || !size.every((x) => Number.isInteger(x) && x >= 0)) fail(k + 1, "expected the size line: rows cols entries");
  const [rows, cols, entries] = size;
  if (rows < 1 || cols < 1) fail(k + 1, "the matrix is empty");
  const r = [], c = [], v = [];
  let seen = 0;
  for (k++; k < lines.length; k++) {
    const line = lines[k].trim();
    if (line === "" || line.startsWith("%")) continue;
    const parts = line.split(/\s+/);
    const i = Number(parts[0]) - 1, j = Number(parts[1]) - 1;
    const x = field === "pattern" ? 1 : Number(parts[2]);
    if (!Number.isInteger(i) || !Number.isInteger(j) || i < 0 || j < 0 || i >= rows || j >= cols) {
      fail(k + 1, `entry "${line}" has an index outside 1…${rows} × 1…${cols}`);
    }
    if (!Number.isFinite(x)) fail(k + 1, `entry "${line}" has no finite value`);
    r.push(i); c.push(j); v.push(x);
    if (symmetry !== "general" && i !== j) { r.push(j); c.push(i); v.push(symmetry === "symmetric" ? x : -x); }
    seen++;
  }
  if (seen !== entries) fail(lines.length, `the size line announces ${entries} entries but the file has ${seen}`);
  return cooToCsr(rows, cols, r, c, v);
}
