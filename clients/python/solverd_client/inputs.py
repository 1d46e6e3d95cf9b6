"""Converts what callers hold to wire JSON and back: scipy.sparse matrices and arrays (any format), dense numpy arrays,
nested lists and ready-made wire dicts in; numpy arrays and scipy.sparse CSR arrays out."""
from __future__ import annotations

import importlib
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

JSONObject = Dict[str, Any]
#: A scipy.sparse matrix or array (anything with `tocsr()`), a 2-D numpy array or nested lists, or a wire dict.
MatrixLike = Union[Mapping[str, Any], npt.ArrayLike, Any]
#: A 1-D numpy array (or an n×1 / 1×n one), a list, or any iterable of numbers.
VectorLike = Union[npt.ArrayLike, Iterable[float]]
IndicesLike = Union[npt.ArrayLike, Iterable[int]]
FloatArray = npt.NDArray[np.float64]


def is_sparse(obj: object) -> bool:
    """A scipy.sparse matrix or array (checked without importing scipy)."""
    return (type(obj).__module__ or "").startswith("scipy.sparse") and hasattr(obj, "tocsr")


def _finite(values: FloatArray, field: str) -> List[float]:
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise ValueError(f"{field}[{int(bad[0])}] is not finite: {values[bad[0]]}")
    out: List[float] = values.tolist()
    return out


def _array(values: Any, dtype: Any = None) -> npt.NDArray[Any]:
    """`np.asarray`, also of a generator or other iterable without a length."""
    if not hasattr(values, "__len__") and not hasattr(values, "__array__") and not hasattr(values, "ndim"):
        values = list(values)
    return np.asarray(values, dtype=dtype)


def _ints(values: IndicesLike) -> List[int]:
    array = _array(values)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if not np.all(np.equal(np.mod(array, 1), 0)):
            raise ValueError("indices must be whole numbers")
    out: List[int] = array.astype(np.int64).reshape(-1).tolist()
    return out


def csr_payload(row_pointers: IndicesLike, col_indices: IndicesLike, values: VectorLike,
                shape: Tuple[int, int]) -> JSONObject:
    """The wire `matrix` object for CSR arrays."""
    return {"rows": int(shape[0]), "cols": int(shape[1]), "format": "csr",
            "data": {"row_pointers": _ints(row_pointers), "col_indices": _ints(col_indices),
                     "values": _finite(np.asarray(values, dtype=np.float64).reshape(-1), "matrix.data.values")}}


def matrix_payload(matrix: MatrixLike) -> JSONObject:
    """A scipy.sparse matrix/array (any format → CSR arrays, duplicates summed), a 2-D numpy array or nested lists
    (dense rows → CSR of the nonzeros), or a dict already in wire form (passed through)."""
    if isinstance(matrix, Mapping):
        return dict(matrix)
    if is_sparse(matrix):
        sparse: Any = matrix
        csr = sparse.tocsr(copy=True)
        csr.sum_duplicates()
        csr.sort_indices()
        return csr_payload(csr.indptr, csr.indices, csr.data, csr.shape)
    try:
        dense = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError("matrix must be a scipy.sparse matrix, a 2-D numpy array, a list of equally long rows or a "
                        f"wire dict ({error})") from None
    if dense.ndim != 2:
        raise TypeError(f"a dense matrix must be two-dimensional, got shape {dense.shape}")
    mask = dense != 0
    pointers = np.concatenate(([0], np.cumsum(mask.sum(axis=1))))
    _, cols = np.nonzero(mask)
    return csr_payload(pointers, cols, dense[mask], (dense.shape[0], dense.shape[1]))


def vector_payload(vector: VectorLike, field: str = "vector") -> List[float]:
    """A 1-D numpy array (an n×1 or 1×n one too), a list, or any iterable of numbers → a list of floats."""
    array = _array(vector, np.float64)
    if array.ndim == 2 and 1 in array.shape:
        array = array.reshape(-1)
    if array.ndim != 1:
        raise ValueError(f"{field} must be one-dimensional, got shape {array.shape}")
    return _finite(array, field)


def index_payload(indices: IndicesLike) -> List[int]:
    """Indices (a numpy integer array, a list, a range, …) → a list of ints."""
    return _ints(indices)


def to_numpy(values: Sequence[float]) -> FloatArray:
    """A wire list of numbers (`x`, `values`) as a float64 numpy array."""
    return np.asarray(values, dtype=np.float64)


def to_scipy(matrix: MatrixLike) -> Any:
    """A `scipy.sparse.csr_array` of a wire `matrix` object in any layout the server reads (CSR, CSC, COO triplets
    with duplicates summed, `dense`), or of anything `matrix_payload` accepts. Needs scipy."""
    sp: Any = importlib.import_module("scipy.sparse")  # optional dependency: solverd-client[scipy]
    wire = matrix_payload(matrix)
    data = wire.get("data") or {}
    dense = wire.get("dense")
    if dense is not None:
        return sp.csr_array(np.asarray(dense, dtype=np.float64))
    shape = (int(wire["rows"]), int(wire["cols"]))
    values = np.asarray(data.get("values", []), dtype=np.float64)
    if "row_pointers" in data:
        return sp.csr_array((values, np.asarray(data["col_indices"]), np.asarray(data["row_pointers"])), shape=shape)
    if "col_pointers" in data:
        return sp.csc_array((values, np.asarray(data["row_indices"]), np.asarray(data["col_pointers"])),
                            shape=shape).tocsr()
    rows = data.get("rows", data.get("row_indices"))
    cols = data.get("cols", data.get("col_indices"))
    if rows is None or cols is None:
        raise ValueError("matrix.data has neither CSR, CSC nor COO arrays")
    coo = sp.coo_array((values, (np.asarray(rows), np.asarray(cols))), shape=shape)
    coo.sum_duplicates()
    return coo.tocsr()


def partial_array(part: Mapping[str, Any], size: int, fill: float = np.nan) -> FloatArray:
    """An `x_partial` or `{"indices", "values"}` solution as a dense array of `size` entries (others = `fill`)."""
    out = np.full(int(size), fill, dtype=np.float64)
    out[np.asarray(part["indices"], dtype=np.int64)] = np.asarray(part["values"], dtype=np.float64)
    return out


def optional_vector(vector: Optional[VectorLike], field: str) -> Optional[List[float]]:
    return None if vector is None else vector_payload(vector, field)
