"""The synchronous client over HTTP (`requests`): every helper of the async client, with events read from the NDJSON
stream `GET /api/v1/sessions/{id}/events?since=SEQ`, resumed from the last seq after a dropped stream."""
from __future__ import annotations

import json
import socket
import time
from contextlib import closing
from types import TracebackType
from typing import Any, Dict, Generator, Iterable, Iterator, List, Mapping, Optional, Sequence, Type

import requests

from .errors import ConnectionLost, ServerError, SolverdError, error_from
from .inputs import FloatArray, IndicesLike, JSONObject, MatrixLike, VectorLike, to_numpy
from .protocol import (DEFAULT_URL, EVENT_TYPES, ConvergenceWatch, EventCursor, MatrixUpdate, PushLog, auth_headers,
                       cost_report, cost_update, decode_reply, endpoints, resume_point, sessions_list, solution_query,
                       solve_request, verify_request)

_DROPPED = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class SolverClient:
    """`SolverClient("http://127.0.0.1:3000", token=None)` (a `ws://…/ws/solver` URL works too); also a context
    manager. Every method raises a typed `SolverdError` on error.

    `timeout` bounds each plain request; an event stream silent for `stream_timeout` seconds (no event, no
    heartbeat) counts as dropped. A dropped stream is resumed from its last seq for up to `reconnect_timeout` s."""

    def __init__(self, url: str = DEFAULT_URL, token: Optional[str] = None, timeout: float = 30.0,
                 session: Optional[requests.Session] = None, *, reconnect: bool = True,
                 reconnect_timeout: float = 30.0, stream_timeout: float = 60.0) -> None:
        self.base_url, self.ws_url = endpoints(url)
        self.token = token
        self.timeout = timeout
        self.reconnect = reconnect
        self.reconnect_timeout = reconnect_timeout
        self.stream_timeout = stream_timeout
        self.http = session or requests.Session()
        self.reconnects = 0
        self._pushes = PushLog()
        self._last_seqs: Dict[str, int] = {}

    def __enter__(self) -> "SolverClient":
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], error: Optional[BaseException],
                 trace: Optional[TracebackType]) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def _request(self, method: str, path: str, body: Optional[Mapping[str, Any]] = None,
                 params: Optional[Mapping[str, str]] = None) -> JSONObject:
        headers = auth_headers(self.token)
        data = None
        if body is not None:
            headers["content-type"] = "application/json"
            data = json.dumps(body)
        r = self.http.request(method, self.base_url + path, data=data, params=params, headers=headers,
                              timeout=self.timeout)
        return _decode(r)

    # Sessions
    def create(self, matrix: MatrixLike, vector: VectorLike, method: Optional[str] = None,
               options: Optional[Mapping[str, Any]] = None, session_id: Optional[str] = None,
               x0: Optional[VectorLike] = None, share: Optional[Iterable[str]] = None) -> JSONObject:
        """Creates a session (`POST /api/v1/sessions`); returns `session_created` (`session_id`, `rows`, `method`, …)."""
        body = solve_request(matrix, vector, method=method, options=options, session_id=session_id, x0=x0, share=share)
        return self._request("POST", "/api/v1/sessions", body)

    def sessions(self) -> List[JSONObject]:
        """The sessions this principal may use."""
        return sessions_list(self._request("GET", "/api/v1/sessions"))

    def status(self, session_id: str) -> JSONObject:
        """The session's `session_status` (`phase`, `last_applied_seq`, residuals, …)."""
        return self._request("GET", f"/api/v1/status/{session_id}")

    def service_status(self) -> JSONObject:
        return self._request("GET", "/api/v1/status")

    def health(self) -> JSONObject:
        return self._request("GET", "/health")

    def solution(self, session_id: str, indices: Optional[IndicesLike] = None) -> JSONObject:
        """`{"x": [...]}` for the whole solution, or `{"indices", "values"}` for the given entries."""
        return self._request("GET", f"/api/v1/sessions/{session_id}/solution", params=solution_query(indices))

    def solution_array(self, session_id: str, indices: Optional[IndicesLike] = None) -> FloatArray:
        """x (or its entries at `indices`, in that order) as a float64 numpy array."""
        reply = self.solution(session_id, indices)
        return to_numpy(reply["x"] if indices is None else reply["values"])

    def verify(self, session_id: str, probe_count: Optional[int] = None,
               indices: Optional[IndicesLike] = None) -> JSONObject:
        """Random-probe verification; returns the `verification_result`."""
        return self._request("POST", "/api/v1/verify", verify_request(session_id, probe_count, indices))

    def delete(self, session_id: str) -> JSONObject:
        """Closes the session; returns `session_deleted`."""
        return self._request("DELETE", f"/api/v1/sessions/{session_id}")

    def push(self, session_id: str, delta_indices: Optional[IndicesLike] = None,
             delta_values: Optional[VectorLike] = None, matrix_updates: Optional[Sequence[MatrixUpdate]] = None,
             source_node: Optional[str] = None) -> int:
        """Posts a `cost_update` (`b[i] += value`; `matrix_updates` set `A[row][col]`); returns its `seq` (updates apply
        in seq order)."""
        body = cost_update(session_id, delta_indices, delta_values, matrix_updates, source_node)
        return self._pushes.note(session_id, int(self._request("POST", "/api/v1/swarm/costs", body)["seq"]))

    def report(self, session_id: str, node_id: str, indices: IndicesLike, values: VectorLike,
               confidence: Optional[float] = None, propagation_depth: Optional[int] = None) -> int:
        """Posts a swarm `cost_report`; returns its `seq` (a `costs_aggregated` event follows when it is applied)."""
        body = cost_report(session_id, node_id, indices, values, confidence, propagation_depth)
        return self._pushes.note(session_id, int(self._request("POST", "/api/v1/swarm/costs", body)["seq"]))

    # Events
    def last_seq(self, session_id: str) -> Optional[int]:
        """The newest event seq this client received for the session: where a resume starts."""
        return self._last_seqs.get(session_id)

    def events(self, session_id: str, since_seq: Optional[int] = None, until_converged: bool = False, *,
               since: Optional[int] = None) -> Iterator[JSONObject]:
        """The session's events from one NDJSON stream: live ones, or every retained one after `since_seq` first
        (`since` is the 0.1 name). Each event once, in seq order, across dropped streams (resumed from the last seq).
        Ends after `session_closed` (or the first `convergence_signal` with `until_converged`); heartbeats are
        skipped. Raises `EventsExpired` when the server no longer holds the events after `since_seq`."""
        start = since_seq if since_seq is not None else since
        return self._follow(EventCursor(session_id, start, until_converged), deadline=None)

    def wait_converged(self, session_id: str, after_seq: Optional[int] = None, timeout: float = 30.0) -> JSONObject:
        """Follows ONE event stream (from `since = after_seq`) until a `convergence_signal` that reflects every update
        up to `after_seq` (default: the newest this client pushed to the session, else 0); returns it. Raises
        `NotConverged` if the session stopped instead, the update's typed error if update `after_seq` was rejected,
        `SessionNotFound` if the session ended, `TimeoutError` after `timeout` s."""
        watch = ConvergenceWatch(session_id, self._pushes.after_seq(session_id, after_seq))
        deadline = time.monotonic() + timeout
        since = watch.after_seq
        while True:
            try:
                with closing(self._follow(EventCursor(session_id, since), deadline)) as events:
                    for event in events:
                        verdict = watch.feed(event)
                        if verdict is not None:
                            return verdict
            except SolverdError as error:
                if error.code != "events_expired":
                    raise
                since = resume_point(error, since)  # rare: >32 KiB of events since after_seq; resume at the oldest
                continue
            except TimeoutError:
                raise TimeoutError(f"session {session_id} did not converge within {timeout} s") from None
            raise ConnectionLost(f"the event stream of {session_id} ended without a verdict")

    def _follow(self, cursor: EventCursor, deadline: Optional[float]) -> Generator[JSONObject, None, None]:
        """The events after `cursor.last_seq`, each once; a dropped stream is resumed from the cursor (a live stream,
        `last_seq` None, that drops before its first event resumes live)."""
        lost_at: Optional[float] = None
        delay = 0.05
        while True:
            try:
                response = self._open_stream(cursor, deadline)
                try:
                    for event in self._records(response, deadline):
                        lost_at, delay = None, 0.05
                        if cursor.accept(event):
                            self._last_seqs[cursor.session_id] = int(event["seq"])
                            yield event
                            if cursor.finished:
                                return
                finally:
                    response.close()
                reason = "the event stream ended"
            except _DROPPED + (ServerError,) as error:
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(f"no verdict for session {cursor.session_id} in time") from None
                if isinstance(error, ServerError) and error.code != "draining":
                    raise
                reason = f"the event stream dropped ({error})"
            now = time.monotonic()
            lost_at = lost_at if lost_at is not None else now
            if not self.reconnect or now - lost_at > self.reconnect_timeout:
                raise ConnectionLost(f"{reason}; not resumed (last seq {cursor.last_seq})")
            time.sleep(delay if deadline is None else max(0.0, min(delay, deadline - now)))
            delay = min(delay * 2, 2.0)
            self.reconnects += 1

    def _open_stream(self, cursor: EventCursor, deadline: Optional[float]) -> requests.Response:
        params = {} if cursor.last_seq is None else {"since": str(cursor.last_seq)}
        if cursor.until_converged:
            params["until"] = "converged"
        r = self.http.get(f"{self.base_url}/api/v1/sessions/{cursor.session_id}/events", params=params,
                          headers=auth_headers(self.token), stream=True,
                          timeout=(self.timeout, self._read_timeout(deadline)))
        if r.status_code != 200:
            try:
                _decode(r)
            finally:
                r.close()
        return r

    def _read_timeout(self, deadline: Optional[float]) -> float:
        if deadline is None:
            return self.stream_timeout
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the wait timed out")
        return min(self.stream_timeout, remaining)

    def _records(self, response: requests.Response, deadline: Optional[float]) -> Iterator[JSONObject]:
        """The stream's session events; heartbeats skipped; an `error` record raises; a `shutdown` record ends it.
        With a deadline, each read waits at most until then (the socket timeout is narrowed as it nears)."""
        sock = _socket_of(response)
        for line in response.iter_lines():
            if deadline is not None:
                if sock is not None:
                    sock.settimeout(self._read_timeout(deadline))
                elif time.monotonic() >= deadline:
                    raise TimeoutError("the wait timed out")
            if not line:
                continue
            record = json.loads(line)
            kind = record.get("type")
            if kind == "error":
                raise error_from(record.get("error", record))
            if kind == "shutdown":
                return
            if kind in EVENT_TYPES:
                yield record


def _decode(r: requests.Response) -> JSONObject:
    try:
        payload = r.json()
    except ValueError:
        payload = None
    return decode_reply(r.status_code, payload, r.text, r.headers.get("retry-after"))


def _socket_of(response: requests.Response) -> Optional[socket.socket]:
    """The streamed response's socket (urllib3 2), to narrow its read timeout; None where it cannot be reached."""
    connection = getattr(response.raw, "connection", None) or getattr(response.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    return sock if isinstance(sock, socket.socket) else None


#: The 0.1 name of the synchronous client.
SolverdHTTP = SolverClient
