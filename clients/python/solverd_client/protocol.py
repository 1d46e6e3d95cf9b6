"""What the sync (HTTP) and async (WebSocket) clients share: endpoints and credentials, the bodies of every request,
the decoding of HTTP replies, and the event logic (resume points, repeats, `wait_converged`'s verdict)."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit, urlunsplit

from .errors import EventsExpired, NotConverged, SessionNotFound, SolverdError, error_from
from .inputs import (IndicesLike, JSONObject, MatrixLike, VectorLike, index_payload, matrix_payload, optional_vector,
                     vector_payload)

DEFAULT_URL = "http://127.0.0.1:3000"
DEFAULT_WS_URL = "ws://127.0.0.1:3000/ws/solver"
WS_PATH = "/ws/solver"
#: Offered in this order: servers that know the versioned name pick it, older ones pick `solverd`.
SUBPROTOCOLS: Tuple[str, ...] = ("solverd.v1", "solverd")
#: Session events: each carries `session_id` and `seq`, and is retained for resumption.
EVENT_TYPES = frozenset({"iteration_update", "verification_result", "convergence_signal", "correction_applied",
                         "update_rejected", "costs_aggregated", "session_closed"})
#: A matrix update: a `{"row", "col", "new_value", "old_value"?}` dict or a `(row, col, new_value[, old_value])` tuple.
MatrixUpdate = Any


# Endpoints and credentials

def endpoints(url: str) -> Tuple[str, str]:
    """`(http_base, ws_url)` for a server URL given either way: `http(s)://HOST:PORT[/prefix]` or
    `ws(s)://HOST:PORT[/prefix]/ws/solver`."""
    parts = urlsplit(url.rstrip("/"))
    secure = parts.scheme in ("https", "wss")
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        raise ValueError(f"not a solverd URL: {url!r} (http://HOST:PORT or ws://HOST:PORT/ws/solver)")
    path = parts.path
    if parts.scheme.startswith("ws"):
        prefix = path[:-len(WS_PATH)] if path.endswith(WS_PATH) else path
        ws_path = path or WS_PATH
    else:
        prefix, ws_path = path, path + WS_PATH
    http_base = urlunsplit(("https" if secure else "http", parts.netloc, prefix, "", ""))
    ws_url = urlunsplit(("wss" if secure else "ws", parts.netloc, ws_path, parts.query if parts.scheme.startswith("ws")
                         else "", ""))
    return http_base, ws_url


def auth_headers(token: Optional[str]) -> Dict[str, str]:
    return {"authorization": f"Bearer {token}"} if token else {}


# Request bodies (the WebSocket adds `type` and `id`; HTTP posts them as they are)

def solve_request(matrix: MatrixLike, vector: VectorLike, method: Optional[str] = None,
                  options: Optional[Mapping[str, Any]] = None, session_id: Optional[str] = None,
                  x0: Optional[VectorLike] = None, share: Optional[Iterable[str]] = None) -> JSONObject:
    body: JSONObject = {"matrix": matrix_payload(matrix), "vector": vector_payload(vector)}
    optional = {"method": method, "options": dict(options) if options else None, "session_id": session_id,
                "x0": optional_vector(x0, "x0"), "share": list(share) if share is not None else None}
    body.update({key: value for key, value in optional.items() if value is not None})
    return body


def cost_update(session_id: str, delta_indices: Optional[IndicesLike] = None,
                delta_values: Optional[VectorLike] = None, matrix_updates: Optional[Sequence[MatrixUpdate]] = None,
                source_node: Optional[str] = None) -> JSONObject:
    """A `cost_update`: additive `b[i] += value`; `matrix_updates` set `A[row][col]` (checking `old_value` first)."""
    body: JSONObject = {"session_id": session_id}
    if delta_indices is not None or delta_values is not None:
        if delta_indices is None or delta_values is None:
            raise ValueError("delta_indices and delta_values go together")
        body["delta_costs"] = {"indices": index_payload(delta_indices),
                               "values": vector_payload(delta_values, "delta_costs.values")}
    if matrix_updates is not None and len(matrix_updates):
        body["matrix_updates"] = [_matrix_update(u) for u in matrix_updates]
    if "delta_costs" not in body and "matrix_updates" not in body:
        raise ValueError("a cost update needs delta costs or matrix updates")
    if source_node is not None:
        body["source_node"] = source_node
    return body


def cost_report(session_id: str, node_id: str, indices: IndicesLike, values: VectorLike,
                confidence: Optional[float] = None, propagation_depth: Optional[int] = None) -> JSONObject:
    """A swarm `cost_report`: node `node_id`'s absolute values for entries of `b`, combined with other nodes' reports
    by the session's `cost_aggregation` before they replace `b[i]`."""
    body: JSONObject = {"type": "cost_report", "session_id": session_id, "node_id": str(node_id),
                        "local_costs": {"indices": index_payload(indices),
                                        "values": vector_payload(values, "local_costs.values")}}
    if confidence is not None:
        body["computation_confidence"] = float(confidence)
    if propagation_depth is not None:
        body["propagation_depth"] = int(propagation_depth)
    return body


def verify_request(session_id: str, probe_count: Optional[int] = None,
                   indices: Optional[IndicesLike] = None) -> JSONObject:
    body: JSONObject = {"session_id": session_id}
    if probe_count is not None:
        body["probe_count"] = int(probe_count)
    if indices is not None:
        body["indices"] = index_payload(indices)
    return body


def solution_query(indices: Optional[IndicesLike]) -> Optional[Dict[str, str]]:
    return None if indices is None else {"indices": ",".join(str(i) for i in index_payload(indices))}


def _matrix_update(update: MatrixUpdate) -> JSONObject:
    if isinstance(update, Mapping):
        return dict(update)
    row, col, new_value, *rest = update
    entry: JSONObject = {"row": int(row), "col": int(col), "new_value": float(new_value)}
    if rest:
        entry["old_value"] = float(rest[0])
    return entry


# Replies

def decode_reply(status: int, payload: Any, text: str, retry_after: Optional[str] = None,
                 expect: Iterable[int] = (200, 201, 202)) -> JSONObject:
    """The JSON object of a successful HTTP reply; otherwise raises the typed error its body (or status) names."""
    if status in tuple(expect) and isinstance(payload, dict):
        return payload
    wait = _seconds(retry_after)
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        raise error_from(payload["error"], status=status, retry_after=wait)
    raise error_from({"code": f"http_{status}", "message": text[:300] or f"HTTP {status}"}, status=status,
                     retry_after=wait)


def _seconds(value: Optional[str]) -> Optional[float]:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


# Events

class EventCursor:
    """Where one session's event stream stands. `last_seq` is the newest seq handed out: the resume point (`since`),
    after which a replay brings every retained event; repeats of older ones are dropped."""

    def __init__(self, session_id: str, last_seq: Optional[int] = None, until_converged: bool = False) -> None:
        self.session_id = session_id
        self.last_seq = last_seq
        self.until_converged = until_converged
        self.finished = False

    def accept(self, event: Mapping[str, Any]) -> bool:
        """True for an event to hand out (and records it); False for a repeat or one after the end."""
        seq = event.get("seq")
        if self.finished or not isinstance(seq, int) or (self.last_seq is not None and seq <= self.last_seq):
            return False
        self.last_seq = seq
        kind = event.get("type")
        if kind == "session_closed" or (self.until_converged and kind == "convergence_signal"):
            self.finished = True
        return True


class ConvergenceWatch:
    """`wait_converged`'s verdict, fed a session's events in seq order (repeats are harmless): the first
    `convergence_signal` that reflects every update up to `after_seq` (its `last_applied_seq` ≥ `after_seq`) decides.
    Its seq is above `after_seq`, so a stream resumed from `since = after_seq` carries it."""

    def __init__(self, session_id: str, after_seq: int) -> None:
        self.session_id = session_id
        self.after_seq = after_seq

    def feed(self, event: Mapping[str, Any]) -> Optional[JSONObject]:
        """The signal when it decides; raises when the wait cannot succeed; None to read on."""
        kind = event.get("type")
        if kind == "convergence_signal" and int(event.get("last_applied_seq", 0)) >= self.after_seq:
            if event.get("converged"):
                return dict(event)
            raise NotConverged("not_converged", f"session {self.session_id} stopped without converging: "
                               f"{event.get('reason') or 'no reason given'}")
        if kind == "update_rejected" and self.after_seq and event.get("update_seq") == self.after_seq:
            error = error_from(event.get("error") or {"code": "update_rejected", "message": ""})
            error.message = f"update {self.after_seq} was rejected, so it will never be applied: {error.message}"
            error.args = (f"{error.code}: {error.message}",)
            raise error
        if kind == "session_closed":
            raise SessionNotFound("session_closed", f"session {self.session_id} ended before converging "
                                  f"({event.get('reason', 'closed')})", field="session_id")
        return None


def resume_point(error: SolverdError, since: int) -> int:
    """Where to resume after `events_expired` for `since`: just before the oldest retained event. The evicted events
    are older than every retained one, so a signal among them is superseded by the retained ones (or the next)."""
    oldest = error.oldest_retained if isinstance(error, EventsExpired) else None
    if oldest is None or oldest - 1 <= since:
        raise error
    return oldest - 1


class PushLog:
    """The newest update seq this client pushed to each session: `wait_converged`'s default `after_seq`, so that
    `push(...)` then `wait_converged(sid)` waits for that update."""

    def __init__(self) -> None:
        self._seqs: Dict[str, int] = {}

    def note(self, session_id: str, seq: int) -> int:
        self._seqs[session_id] = max(seq, self._seqs.get(session_id, 0))
        return seq

    def after_seq(self, session_id: str, after_seq: Optional[int]) -> int:
        return int(after_seq) if after_seq is not None else self._seqs.get(session_id, 0)


def sessions_list(reply: Mapping[str, Any]) -> List[JSONObject]:
    sessions: List[JSONObject] = list(reply.get("sessions", []))
    return sessions
