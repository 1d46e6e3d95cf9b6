"""Typed errors: every server error (HTTP body `{"error": {...}}` or WebSocket `error` frame) becomes a
`SolverdError` subclass chosen by its `code`, carrying `code`, `field` and `message`."""


class SolverdError(Exception):
    """An error reported by solverd (or, for `ConnectionLost`, by this client)."""

    def __init__(self, code, message, field=None, status=None, ref=None):
        self.code = code
        self.message = message
        self.field = field
        self.status = status
        self.ref = ref
        where = f" (field {field})" if field else ""
        super().__init__(f"{code}{where}: {message}")


class InvalidRequest(SolverdError):
    """The request was malformed or out of range (4xx validation errors)."""


class SessionNotFound(SolverdError):
    """No such session, or the session has ended."""


class DuplicateSession(SolverdError):
    """A session with the requested `session_id` already exists."""


class EventsExpired(SolverdError):
    """A resume point is older than the events the server retains: events would be missing."""


class Unauthorized(SolverdError):
    """The server wants a (different) token."""


class RateLimited(SolverdError):
    """Too many requests."""


class ServerError(SolverdError):
    """The server failed (5xx) or is draining."""


class ConnectionLost(SolverdError):
    """The WebSocket dropped before a reply arrived. A cost update in flight may or may not have been applied."""

    def __init__(self, message="the WebSocket connection was lost", ref=None):
        super().__init__("connection_lost", message, ref=ref)


_BY_CODE = {
    "session_not_found": SessionNotFound, "session_closed": SessionNotFound,
    "duplicate_session": DuplicateSession, "events_expired": EventsExpired,
    "unauthorized": Unauthorized, "forbidden": Unauthorized, "rate_limited": RateLimited,
    "internal": ServerError, "draining": ServerError, "capacity_exceeded": ServerError,
}


def error_from(payload, status=None, ref=None):
    """Builds the typed error for an error object (`{"code", "message", "field"?}`)."""
    code = payload.get("code", "unknown_error")
    cls = _BY_CODE.get(code)
    if cls is None:
        cls = ServerError if status is not None and status >= 500 else InvalidRequest
    return cls(code, payload.get("message", ""), payload.get("field"), status=status, ref=ref if ref is not None else payload.get("ref"))
