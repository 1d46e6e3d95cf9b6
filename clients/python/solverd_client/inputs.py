"""Converts what callers hold (scipy.sparse matrices, numpy arrays, lists, ready-made dicts) to wire JSON."""
import math


def _is_scipy_sparse(obj):
    module = type(obj).__module__ or ""
    return module.startswith("scipy.sparse") and hasattr(obj, "tocsr")


def _floats(values, field):
    out = [float(v) for v in (values.tolist() if hasattr(values, "tolist") else values)]
    for k, v in enumerate(out):
        if not math.isfinite(v):
            raise ValueError(f"{field}[{k}] is not finite: {v}")
    return out


def _ints(values):
    return [int(v) for v in (values.tolist() if hasattr(values, "tolist") else values)]


def csr_payload(row_pointers, col_indices, values, shape):
    """The wire `matrix` object for CSR arrays."""
    return {"rows": int(shape[0]), "cols": int(shape[1]), "format": "csr",
            "data": {"row_pointers": _ints(row_pointers), "col_indices": _ints(col_indices),
                     "values": _floats(values, "matrix.data.values")}}


def matrix_payload(matrix):
    """A scipy.sparse matrix/array (any format → CSR arrays), a 2-D numpy array or nested lists (dense rows →
    CSR of the nonzeros), or a dict already in wire form (passed through)."""
    if isinstance(matrix, dict):
        return matrix
    if _is_scipy_sparse(matrix):
        csr = matrix.tocsr(copy=True)
        csr.sum_duplicates()
        csr.sort_indices()
        return csr_payload(csr.indptr, csr.indices, csr.data, csr.shape)
    rows = matrix.tolist() if hasattr(matrix, "tolist") else matrix
    if not isinstance(rows, (list, tuple)) or not all(isinstance(r, (list, tuple)) for r in rows):
        raise TypeError("matrix must be a scipy.sparse matrix, a 2-D numpy array, a list of rows or a wire dict")
    pointers, cols, values = [0], [], []
    width = max((len(r) for r in rows), default=0)
    for row in rows:
        if len(row) != width:
            raise ValueError("dense matrix rows must all have the same length")
        for j, v in enumerate(row):
            if v != 0:
                cols.append(j)
                values.append(v)
        pointers.append(len(values))
    return csr_payload(pointers, cols, values, (len(rows), width))


def vector_payload(vector, field="vector"):
    """A 1-D numpy array, a list, or any iterable of numbers → a list of floats."""
    if hasattr(vector, "ndim") and vector.ndim != 1:
        if vector.ndim == 2 and 1 in vector.shape:
            vector = vector.reshape(-1)
        else:
            raise ValueError(f"{field} must be one-dimensional, got shape {vector.shape}")
    return _floats(vector, field)


def index_payload(indices):
    return _ints(indices)


def cost_update_payload(session_id, delta_indices=None, delta_values=None, matrix_updates=None, source_node=None):
    """The body of a `cost_update` (additive `b[i] += value`; `matrix_updates` set `A[row][col]`)."""
    body = {"session_id": session_id}
    if delta_indices is not None or delta_values is not None:
        if delta_indices is None or delta_values is None:
            raise ValueError("delta_indices and delta_values go together")
        body["delta_costs"] = {"indices": index_payload(delta_indices),
                               "values": vector_payload(delta_values, "delta_costs.values")}
    if matrix_updates:
        body["matrix_updates"] = [_matrix_update(u) for u in matrix_updates]
    if "delta_costs" not in body and "matrix_updates" not in body:
        raise ValueError("a cost update needs delta costs or matrix updates")
    if source_node is not None:
        body["source_node"] = source_node
    return body


def cost_report_payload(session_id, node_id, indices, values, confidence=None, propagation_depth=None):
    """The body of a swarm `cost_report`: node `node_id`'s absolute values for entries of `b`, combined with other
    nodes' reports by the session's `cost_aggregation` before they replace `b[i]`."""
    body = {"type": "cost_report", "session_id": session_id, "node_id": str(node_id),
            "local_costs": {"indices": index_payload(indices), "values": vector_payload(values, "local_costs.values")}}
    if confidence is not None:
        body["computation_confidence"] = float(confidence)
    if propagation_depth is not None:
        body["propagation_depth"] = int(propagation_depth)
    return body


def _matrix_update(update):
    """`{"row", "col", "new_value", "old_value"?}` or a tuple `(row, col, new_value[, old_value])`."""
    if isinstance(update, dict):
        return update
    row, col, new_value, *rest = update
    entry = {"row": int(row), "col": int(col), "new_value": float(new_value)}
    if rest:
        entry["old_value"] = float(rest[0])
    return entry


def solve_request_payload(matrix, vector, method=None, options=None, session_id=None, x0=None):
    body = {"matrix": matrix_payload(matrix), "vector": vector_payload(vector)}
    if method is not None:
        body["method"] = method
    if options:
        body["options"] = dict(options)
    if session_id is not None:
        body["session_id"] = session_id
    if x0 is not None:
        body["x0"] = vector_payload(x0, "x0")
    return body
