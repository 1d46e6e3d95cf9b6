"""Typed errors: every server error (HTTP body `{"error": {...}}`, WebSocket `error` frame, NDJSON `error` record or
an `update_rejected` event's `error`) becomes a `SolverdError` subclass chosen by its `code`, carrying `code`,
`field` and `message`, plus `status` (HTTP) or `ref` (WebSocket)."""
from __future__ import annotations

import re
from typing import Any, Dict, Mapping, Optional, Type


class SolverdError(Exception):
    """An error reported by solverd (or, for `ConnectionLost` and `NotConverged`, by this client)."""

    def __init__(self, code: str, message: str, field: Optional[str] = None, status: Optional[int] = None,
                 ref: Optional[str] = None) -> None:
        self.code = code
        self.message = message
        self.field = field
        self.status = status
        self.ref = ref
        where = f" (field {field})" if field else ""
        super().__init__(f"{code}{where}: {message}")


class InvalidRequest(SolverdError):
    """The request was malformed or out of range (400/422 validation errors, 409 `old_value_mismatch`, 413 limits,
    415 `unsupported_media_type`, …)."""


class SessionNotFound(SolverdError):
    """No such session, or the session has ended (`session_not_found`, `session_closed`)."""


class DuplicateSession(SolverdError):
    """A session with the requested `session_id` already exists."""


class EventsExpired(SolverdError):
    """A resume point is older than the events the server retains: events would be missing."""

    @property
    def oldest_retained(self) -> Optional[int]:
        """The oldest seq the server still holds, when its message names it."""
        match = re.search(r"oldest retained is (\d+)", self.message)
        return int(match.group(1)) if match else None


class Unauthorized(SolverdError):
    """The server wants a (different) token (401 `unauthorized`)."""


class Forbidden(Unauthorized):
    """The server refuses this client: the principal may not use the session (403 `forbidden`), or the browser policy
    refused the request's `Origin` (403 `origin_not_allowed`: add it to `server.cors_origins`) or its `Host` (421
    `host_not_allowed`: connect by a loopback name, or list the name in `server.allowed_hosts`)."""


class RateLimited(SolverdError):
    """Too many requests (429); `retry_after` is the server's `Retry-After` in seconds when it sent one."""

    retry_after: Optional[float] = None


class ServerError(SolverdError):
    """The server failed (5xx), is draining, is at capacity, or a cluster peer could not answer; retrying may work."""


class ConnectionLost(SolverdError):
    """The connection dropped before a reply arrived, and was not re-established in time. A cost update in flight may
    or may not have been applied."""

    def __init__(self, message: str = "the connection to solverd was lost", ref: Optional[str] = None) -> None:
        super().__init__("connection_lost", message, ref=ref)


class NotConverged(SolverdError):
    """`wait_converged`: the session stopped without converging (its `convergence_signal` says `converged: false`)."""


_BY_CODE: Dict[str, Type[SolverdError]] = {
    "session_not_found": SessionNotFound, "session_closed": SessionNotFound,
    "duplicate_session": DuplicateSession, "events_expired": EventsExpired,
    "unauthorized": Unauthorized, "forbidden": Forbidden, "origin_not_allowed": Forbidden,
    "host_not_allowed": Forbidden, "rate_limited": RateLimited, "unsupported_media_type": InvalidRequest,
    "not_converged": NotConverged, "connection_lost": ConnectionLost,
    "internal": ServerError, "draining": ServerError, "capacity_exceeded": ServerError,
    "update_not_durable": ServerError, "cluster_unavailable": ServerError, "owner_unavailable": ServerError,
    "owner_timeout": ServerError,
}


def error_from(payload: Mapping[str, Any], status: Optional[int] = None, ref: Optional[str] = None,
               retry_after: Optional[float] = None) -> SolverdError:
    """Builds the typed error for an error object (`{"code", "message", "field"?, "ref"?}`)."""
    code = str(payload.get("code", "unknown_error"))
    cls = _BY_CODE.get(code)
    if cls is None:
        cls = ServerError if status is not None and status >= 500 else InvalidRequest
    if cls is ConnectionLost:
        cls = SolverdError
    field = payload.get("field")
    error = cls(code, str(payload.get("message", "")), str(field) if field is not None else None, status=status,
                ref=ref if ref is not None else payload.get("ref"))
    if isinstance(error, RateLimited):
        error.retry_after = retry_after if retry_after is not None else payload.get("retry_after")
    return error
