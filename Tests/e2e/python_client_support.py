"""What the Python-client tests share: which `solverd_client` they import (the repository's clients/python, or with
SOLVERD_CLIENT_INSTALLED=1 the one installed from the wheel in a fresh virtualenv: test_python_client_wheel.py), the
example 3x3 system and a slow-converging Laplacian."""
import asyncio
import os
import sys

import numpy as np
import scipy.sparse as sp

from conftest import ROOT, laplacian_csr

CLIENT_DIR = os.path.join(ROOT, "clients", "python")
INSTALLED = os.environ.get("SOLVERD_CLIENT_INSTALLED") == "1"
if not INSTALLED:
    sys.path.insert(0, CLIENT_DIR)

PLAN_DENSE = np.array([[2.0, -1.0, 0.0], [-1.0, 2.0, -1.0], [0.0, -1.0, 2.0]])


def run(coro, timeout=30):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def laplacian_scipy(side, shift):
    d = laplacian_csr(side, shift)["data"]
    return sp.csr_matrix((d["values"], d["col_indices"], d["row_pointers"]), shape=(side * side, side * side))


def slow_system():
    """Jacobi on a nearly singular 44x44-grid Laplacian: dozens of iterations frames before it converges (a 20 ms
    status poller would spend a tiny rate limit's budget long before)."""
    return laplacian_scipy(44, 0.01), np.ones(44 * 44)
