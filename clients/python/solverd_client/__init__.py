"""solverd client: `SolverdHTTP` (sync HTTP helpers) and `AsyncSolverClient` (WebSocket, events, resume)."""
from .errors import (ConnectionLost, DuplicateSession, EventsExpired, InvalidRequest, RateLimited, ServerError,
                     SessionNotFound, SolverdError, Unauthorized)
from .http import SolverdHTTP
from .inputs import matrix_payload, vector_payload
from .ws import AsyncSolverClient

__all__ = ["AsyncSolverClient", "SolverdHTTP", "SolverdError", "InvalidRequest", "SessionNotFound", "DuplicateSession",
           "EventsExpired", "Unauthorized", "RateLimited", "ServerError", "ConnectionLost", "matrix_payload",
           "vector_payload"]
__version__ = "0.1.0"
