"""solverd client: `SolverClient` (sync, HTTP and NDJSON event streams) and `AsyncSolverClient` (async, WebSocket),
with the same helpers: create, push, report, verify, status, solution, solution_array, sessions, delete, events
(resumable by seq) and wait_converged (follows the event stream, no polling)."""
from .errors import (ConnectionLost, DuplicateSession, EventsExpired, Forbidden, InvalidRequest, NotConverged,
                     RateLimited, ServerError, SessionNotFound, SolverdError, Unauthorized)
from .http import SolverClient, SolverdHTTP
from .inputs import matrix_payload, partial_array, to_numpy, to_scipy, vector_payload
from .protocol import SUBPROTOCOLS, endpoints
from .ws import AsyncSolverClient

__all__ = ["SolverClient", "SolverdHTTP", "AsyncSolverClient", "SolverdError", "InvalidRequest", "SessionNotFound",
           "DuplicateSession", "EventsExpired", "Unauthorized", "Forbidden", "RateLimited", "ServerError",
           "ConnectionLost", "NotConverged", "matrix_payload", "vector_payload", "to_scipy", "to_numpy",
           "partial_array", "endpoints", "SUBPROTOCOLS", "__version__"]
__version__ = "0.2.0"
