"""The async client over the WebSocket `/ws/solver` (websockets ≥ 14): requests matched to replies by `id`/`ref`,
per-session event buffers, and automatic reconnect that resumes every subscription from its last seen `seq`
(`since_seq`), so an event iterator sees each retained event once, in order, across connection drops. Reads the
WebSocket has no message for (status, solution, sessions, delete) go over HTTP on the same port."""
from __future__ import annotations

import asyncio
import bisect
import itertools
import json
import logging
from collections import deque
from types import TracebackType
from typing import (Any, AsyncIterator, Callable, Deque, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple,
                    Type)

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from .errors import ConnectionLost, SolverdError, Unauthorized, error_from
from .http import SolverClient
from .inputs import FloatArray, IndicesLike, JSONObject, MatrixLike, VectorLike, index_payload
from .protocol import (DEFAULT_WS_URL, EVENT_TYPES, SUBPROTOCOLS, ConvergenceWatch, EventCursor, MatrixUpdate, PushLog,
                       auth_headers, cost_report, cost_update, decode_reply, endpoints, resume_point, solve_request,
                       verify_request)

log = logging.getLogger("solverd_client")

#: Events that can decide a `wait_converged`; each subscription keeps the newest of them.
DECISIVE = frozenset({"convergence_signal", "update_rejected", "session_closed"})
_Waiter = Tuple[ConvergenceWatch, "asyncio.Future[JSONObject]"]


class _Subscription:
    """One session's events on this connection. `cursor.last_seq` is the newest seq put in the buffer: the resume
    point. `covers_from`: every event after this seq reaches `deliver` (replays included), so `decisive` (the newest
    `history` decisive events, in seq order) answers a `wait_converged` for any `after_seq` ≥ `known_from`."""

    def __init__(self, session_id: str, start: int, watch_indices: Optional[List[int]], max_buffered: int,
                 history: int = 256) -> None:
        self.session_id = session_id
        self.cursor = EventCursor(session_id, start)
        self.known_from = start
        self.watch_indices = watch_indices
        self.max_buffered = max_buffered
        self.history = history
        self.buffer: Deque[JSONObject] = deque()
        self.wake = asyncio.Event()
        self.error: Optional[SolverdError] = None
        self.finished = False
        self.decisive: List[JSONObject] = []
        self.waiters: List[_Waiter] = []

    @property
    def last_seq(self) -> Optional[int]:
        return self.cursor.last_seq

    @property
    def active(self) -> bool:
        return not self.finished

    def deliver(self, event: JSONObject) -> None:
        if event["type"] in DECISIVE:
            self._decide(event)
        if not self.cursor.accept(event):
            return  # a replayed event this buffer already holds or handed out
        self.buffer.append(event)
        if len(self.buffer) > self.max_buffered:
            self._shed_oldest_frame()
        if self.cursor.finished:
            self.finished = True
        self.wake.set()

    def _decide(self, event: JSONObject) -> None:
        """Keeps the event in `decisive` (once, in seq order) and offers it to the waiting watches."""
        seqs = [e["seq"] for e in self.decisive]
        at = bisect.bisect_left(seqs, event["seq"])
        if at < len(seqs) and seqs[at] == event["seq"]:
            return
        self.decisive.insert(at, event)
        if len(self.decisive) > self.history:
            self.known_from = max(self.known_from, self.decisive.pop(0)["seq"])
        self.waiters = [(watch, future) for watch, future in self.waiters if not _settle(watch, future, [event])]

    def wait(self, watch: ConvergenceWatch) -> "asyncio.Future[JSONObject]":
        """A future for the watch's verdict, settled now from `decisive` when it holds one."""
        future: asyncio.Future[JSONObject] = asyncio.get_running_loop().create_future()
        if not _settle(watch, future, self.decisive) and not self._settle_finished(future):
            self.waiters.append((watch, future))
        return future

    def covers(self, after_seq: int) -> bool:
        return self.active and after_seq >= self.known_from

    def cover(self, since: int) -> None:
        """A re-subscription from `since` replays everything after it into `deliver`."""
        self.known_from = min(self.known_from, since)

    def rewind(self, since: int) -> None:
        """The iterator starts over after `since` (the replay refills the buffer)."""
        self.buffer.clear()
        self.cursor.last_seq = since
        self.cover(since)

    def _shed_oldest_frame(self) -> None:
        """Keeps memory bounded for an unread buffer: drops the oldest iteration_update (frames are snapshots that the
        server coalesces too); other events are never dropped."""
        for k, queued in enumerate(self.buffer):
            if queued["type"] == "iteration_update":
                del self.buffer[k]
                return

    def fail(self, error: Optional[SolverdError]) -> None:
        """Ends the subscription: with `error` the iterator and the waiting watches raise it."""
        self.error = error
        self.finished = True
        self.wake.set()
        for _, future in self.waiters:
            self._settle_finished(future)
        self.waiters = []

    def _settle_finished(self, future: "asyncio.Future[JSONObject]") -> bool:
        if not self.finished:
            return False
        if not future.done():
            future.set_exception(self.error or ConnectionLost(f"the subscription to {self.session_id} ended"))
        return True


def _settle(watch: ConvergenceWatch, future: "asyncio.Future[JSONObject]", events: Iterable[JSONObject]) -> bool:
    """Feeds events to the watch; True when it decided (the future then holds the signal or the error)."""
    for event in events:
        try:
            verdict = watch.feed(event)
        except SolverdError as error:
            if not future.done():
                future.set_exception(error)
            return True
        if verdict is not None:
            if not future.done():
                future.set_result(verdict)
            return True
    return future.done()


class AsyncSolverClient:
    """`async with AsyncSolverClient("ws://127.0.0.1:3000/ws/solver") as client: ...` (an `http://HOST:PORT` URL
    works too). Sessions this connection creates are subscribed from their first event. `events(session_id)` is an
    async iterator over one session's events; use one consumer per session (consumers share the buffer).
    `wait_converged` does not consume that buffer."""

    def __init__(self, url: str = DEFAULT_WS_URL, token: Optional[str] = None, reconnect: bool = True,
                 reconnect_timeout: float = 30.0, request_timeout: float = 30.0,
                 max_buffered_events: int = 100_000) -> None:
        http_base, self.url = endpoints(url)
        self.token = token
        self.reconnect = reconnect
        self.reconnect_timeout = reconnect_timeout
        self.request_timeout = request_timeout
        self.max_buffered_events = max_buffered_events
        self.http = SolverClient(http_base, token=token, timeout=request_timeout)
        self.reconnects = 0
        self.connection: Optional[ClientConnection] = None
        self._subs: Dict[str, _Subscription] = {}
        self._pending: Dict[str, Tuple[asyncio.Future[JSONObject], Optional[Callable[[JSONObject], None]]]] = {}
        self._ids = itertools.count(1)
        self._connected = asyncio.Event()
        self._closing = False
        self._supervisor: Optional[asyncio.Task[None]] = None
        self._fatal: Optional[BaseException] = None
        self._pushes = PushLog()

    # Connection lifecycle
    async def __aenter__(self) -> "AsyncSolverClient":
        await self.connect()
        return self

    async def __aexit__(self, kind: Optional[Type[BaseException]], error: Optional[BaseException],
                        trace: Optional[TracebackType]) -> None:
        await self.close()

    @property
    def subprotocol(self) -> Optional[str]:
        """The subprotocol the server selected (`solverd.v1`, or `solverd` on older servers)."""
        return self.connection.subprotocol if self.connection is not None else None

    async def _open(self) -> None:
        try:
            self.connection = await connect(self.url, additional_headers=auth_headers(self.token),
                                            subprotocols=[Subprotocol(p) for p in SUBPROTOCOLS], max_size=None,
                                            open_timeout=self.request_timeout)
        except InvalidStatus as refused:  # the upgrade was answered with an HTTP error: raise its typed error
            response = refused.response
            try:
                payload = json.loads(response.body or b"")
            except ValueError:
                payload = None
            decode_reply(response.status_code, payload, (response.body or b"").decode("utf-8", "replace"),
                         response.headers.get("retry-after"), expect=())
        self._connected.set()

    async def connect(self) -> None:
        await self._open()
        self._supervisor = asyncio.create_task(self._supervise())

    async def close(self) -> None:
        self._closing = True
        if self.connection is not None:
            await self.connection.close()
        if self._supervisor is not None:
            await self._supervisor
        for sub in self._subs.values():
            if sub.active:
                sub.fail(None)
        await asyncio.to_thread(self.http.close)

    async def _supervise(self) -> None:
        """Reads frames; when the socket drops unexpectedly, reconnects and resumes every subscription."""
        while True:
            assert self.connection is not None
            try:
                async for raw in self.connection:
                    self._dispatch(raw)
            except ConnectionClosed:
                pass
            except Exception as error:  # a bug in dispatch must not kill the reader silently
                log.exception("solverd_client: reader failed")
                self._fatal = error
            self._connected.clear()
            self._fail_pending(ConnectionLost())
            if self._closing or not self.reconnect or self._fatal or not await self._reconnect():
                lost = self._fatal if isinstance(self._fatal, SolverdError) else ConnectionLost(
                    "the WebSocket connection was lost and not re-established")
                for sub in self._subs.values():
                    if sub.active and not self._closing:
                        sub.fail(lost)
                return

    async def _reconnect(self) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reconnect_timeout
        delay = 0.05
        while not self._closing and loop.time() < deadline:
            try:
                await self._open()
            except Unauthorized as refused:  # the credentials no longer work: retrying cannot help
                self._fatal = refused
                return False
            except (OSError, asyncio.TimeoutError, InvalidHandshake, SolverdError) as error:
                log.info("solverd_client: reconnect failed (%s); retrying in %.2f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            self.reconnects += 1
            for sub in list(self._subs.values()):
                if sub.active:
                    await self._resubscribe(sub)
            return True
        return False

    async def _resubscribe(self, sub: _Subscription) -> None:
        """Asks for everything after `sub.last_seq`; a failure (session gone, events expired) ends the iterator."""
        message: JSONObject = {"type": "subscribe", "session_id": sub.session_id}
        if sub.last_seq is not None:
            message["since_seq"] = sub.last_seq
        if sub.watch_indices is not None:
            message["watch_indices"] = sub.watch_indices
        future = self._register(self._subscribed(sub.session_id, sub.last_seq, sub.watch_indices))

        def ended(f: asyncio.Future[JSONObject]) -> None:
            error = None if f.cancelled() else f.exception()
            if isinstance(error, SolverdError) and not isinstance(error, ConnectionLost):
                sub.fail(error)
        future.add_done_callback(ended)
        assert self.connection is not None
        await self.connection.send(json.dumps({**message, "id": _ref(future)}))

    # Frames
    def _dispatch(self, raw: Any) -> None:
        message = json.loads(raw)
        kind = message.get("type")
        ref = message.get("ref")
        if ref is not None and ref in self._pending:
            future, on_reply = self._pending.pop(ref)
            if kind == "error":
                if not future.done():
                    future.set_exception(error_from(message, ref=ref))
                return
            if on_reply is not None:
                on_reply(message)
            if not future.done():
                future.set_result(message)
        elif kind in EVENT_TYPES and message.get("seq") is not None:
            sub = self._subs.get(message.get("session_id"))
            if sub is not None and sub.active:
                sub.deliver(message)
        elif kind == "error":
            log.warning("solverd_client: unmatched error frame: %s", message)
        elif kind == "shutdown":
            log.info("solverd_client: server is shutting down: %s", message.get("reason"))

    def _register(self, on_reply: Optional[Callable[[JSONObject], None]] = None) -> asyncio.Future[JSONObject]:
        ref = f"py{next(self._ids)}"
        future: asyncio.Future[JSONObject] = asyncio.get_running_loop().create_future()
        setattr(future, "ref", ref)
        self._pending[ref] = (future, on_reply)
        return future

    def _fail_pending(self, error: SolverdError) -> None:
        pending, self._pending = self._pending, {}
        for future, _ in pending.values():
            if not future.done():
                future.set_exception(error)

    async def _request(self, message: JSONObject,
                       on_reply: Optional[Callable[[JSONObject], None]] = None) -> JSONObject:
        """Sends `message` with a fresh `id` and waits for the reply that carries it as `ref`."""
        if not self._connected.is_set():
            if self._supervisor is None or self._supervisor.done():
                raise ConnectionLost("the client is not connected")
            await asyncio.wait_for(self._connected.wait(), self.reconnect_timeout)
        future = self._register(on_reply)
        ref = _ref(future)
        assert self.connection is not None
        try:
            await self.connection.send(json.dumps({**message, "id": ref}))
        except ConnectionClosed:
            self._pending.pop(ref, None)
            raise ConnectionLost(ref=ref) from None
        try:
            return await asyncio.wait_for(future, self.request_timeout)
        finally:
            self._pending.pop(ref, None)

    # Requests over the WebSocket
    async def ping(self) -> JSONObject:
        return await self._request({"type": "ping"})

    async def create(self, matrix: MatrixLike, vector: VectorLike, method: Optional[str] = None,
                     options: Optional[Mapping[str, Any]] = None, session_id: Optional[str] = None,
                     x0: Optional[VectorLike] = None, share: Optional[Iterable[str]] = None) -> JSONObject:
        """Creates a session (numpy/scipy inputs accepted); returns `session_created`. This connection is subscribed
        to it from its first event."""
        body = solve_request(matrix, vector, method=method, options=options, session_id=session_id, x0=x0, share=share)

        def register(reply: JSONObject) -> None:
            sid = reply["session_id"]
            self._subs[sid] = _Subscription(sid, 0, None, self.max_buffered_events)
        return await self._request({"type": "solve_request", **body}, on_reply=register)

    def _subscribed(self, session_id: str, since_seq: Optional[int], watch_indices: Optional[List[int]],
                    rewind: bool = False) -> Callable[[JSONObject], None]:
        """Registers (or updates) the buffer synchronously when `subscribed` arrives, before any event follows it."""
        def on_reply(reply: JSONObject) -> None:
            start = since_seq if since_seq is not None else int(reply["next_seq"]) - 1
            sub = self._subs.get(session_id)
            if sub is None or not sub.active:
                sub = self._subs[session_id] = _Subscription(session_id, start, watch_indices, self.max_buffered_events)
            elif rewind:
                sub.rewind(start)
            else:
                sub.cover(start)
            sub.watch_indices = watch_indices
        return on_reply

    async def subscribe(self, session_id: str, since_seq: Optional[int] = None,
                        watch_indices: Optional[IndicesLike] = None, *, _rewind: bool = True) -> JSONObject:
        """Subscribes to a session: live events, or every retained event after `since_seq` (the iterator starts over
        from there); `watch_indices` puts those entries of x in each `iteration_update`'s `x_partial`. Returns
        `subscribed` (with `next_seq`)."""
        current = self._subs.get(session_id)
        if since_seq is None and current is not None and current.active:
            since_seq, _rewind = current.last_seq, False  # re-subscribing replaces the server's sink: resume
        message: JSONObject = {"type": "subscribe", "session_id": session_id}
        if since_seq is not None:
            message["since_seq"] = int(since_seq)
        watch = index_payload(watch_indices) if watch_indices is not None else None
        if watch is None and current is not None and current.active:
            watch = current.watch_indices
        if watch is not None:
            message["watch_indices"] = watch
        return await self._request(message, on_reply=self._subscribed(session_id, since_seq, watch, _rewind))

    async def unsubscribe(self, session_id: str) -> JSONObject:
        reply = await self._request({"type": "unsubscribe", "session_id": session_id})
        sub = self._subs.pop(session_id, None)
        if sub is not None:
            sub.fail(None)
        return reply

    async def push(self, session_id: str, delta_indices: Optional[IndicesLike] = None,
                   delta_values: Optional[VectorLike] = None, matrix_updates: Optional[Sequence[MatrixUpdate]] = None,
                   source_node: Optional[str] = None) -> int:
        """Sends a `cost_update` and waits for its `ack`; returns the update's `seq`. Raises the typed error of an
        `error` reply; `ConnectionLost` when the socket dropped first (the update may or may not have applied, so it
        is not re-sent automatically: deltas are additive)."""
        body = cost_update(session_id, delta_indices, delta_values, matrix_updates, source_node)
        return self._pushes.note(session_id, int((await self._request({"type": "cost_update", **body}))["seq"]))

    async def report(self, session_id: str, node_id: str, indices: IndicesLike, values: VectorLike,
                     confidence: Optional[float] = None, propagation_depth: Optional[int] = None) -> int:
        """Sends a swarm `cost_report` and waits for its `ack`; returns its `seq`."""
        body = cost_report(session_id, node_id, indices, values, confidence, propagation_depth)
        return self._pushes.note(session_id, int((await self._request(body))["seq"]))

    async def verify(self, session_id: str, probe_count: Optional[int] = None,
                     indices: Optional[IndicesLike] = None) -> JSONObject:
        """Random-probe verification; returns the `verification_result`."""
        return await self._request({"type": "verify", **verify_request(session_id, probe_count, indices)})

    # Reads over HTTP on the same port (the WebSocket has no message for them)
    async def status(self, session_id: str) -> JSONObject:
        return await asyncio.to_thread(self.http.status, session_id)

    async def solution(self, session_id: str, indices: Optional[IndicesLike] = None) -> JSONObject:
        """`{"x": [...]}`, or `{"indices", "values"}` for the given entries."""
        return await asyncio.to_thread(self.http.solution, session_id, indices)

    async def solution_array(self, session_id: str, indices: Optional[IndicesLike] = None) -> FloatArray:
        """x (or its entries at `indices`) as a float64 numpy array."""
        return await asyncio.to_thread(self.http.solution_array, session_id, indices)

    async def sessions(self) -> List[JSONObject]:
        return await asyncio.to_thread(self.http.sessions)

    async def delete(self, session_id: str) -> JSONObject:
        """Closes the session; a subscribed iterator then ends with `session_closed`."""
        return await asyncio.to_thread(self.http.delete, session_id)

    async def service_status(self) -> JSONObject:
        return await asyncio.to_thread(self.http.service_status)

    async def health(self) -> JSONObject:
        return await asyncio.to_thread(self.http.health)

    # Events
    def last_seq(self, session_id: str) -> Optional[int]:
        """The newest event seq received for the session: where a resume starts (None when not subscribed)."""
        sub = self._subs.get(session_id)
        return sub.last_seq if sub else None

    async def events(self, session_id: str, since_seq: Optional[int] = None,
                     watch_indices: Optional[IndicesLike] = None,
                     until_converged: bool = False) -> AsyncIterator[JSONObject]:
        """Async iterator of the session's events, resumed across reconnects without gaps or repeats: the buffered and
        live ones, or every retained one after `since_seq` first. Subscribes when needed (a created session already
        is). Ends after `session_closed` (or the first `convergence_signal` with `until_converged`); raises a typed
        error when the events cannot continue (session gone, `events_expired`, reconnect gave up)."""
        sub = self._subs.get(session_id)
        watch = index_payload(watch_indices) if watch_indices is not None else None
        if sub is None or (sub.finished and not sub.buffer) or since_seq is not None:
            await self.subscribe(session_id, since_seq=since_seq, watch_indices=watch)
        elif watch is not None and watch != sub.watch_indices and sub.active:
            await self.subscribe(session_id, since_seq=sub.last_seq, watch_indices=watch, _rewind=False)
        sub = self._subs[session_id]
        while True:
            if sub.buffer:
                event = sub.buffer.popleft()
                yield event
                if until_converged and event["type"] == "convergence_signal":
                    return
                continue
            if sub.error is not None:
                raise sub.error
            if sub.finished:
                return
            sub.wake.clear()
            await sub.wake.wait()

    async def wait_converged(self, session_id: str, after_seq: Optional[int] = None,
                             timeout: float = 30.0) -> JSONObject:
        """Waits on the subscribed WebSocket (subscribing from `since_seq = after_seq` when this connection has not
        seen the events since then) for a `convergence_signal` that reflects every update up to `after_seq`
        (default: the newest this client pushed to the session, else 0); returns it. Does not consume `events()`.
        Raises `NotConverged`, the update's typed error if update `after_seq` was rejected, `SessionNotFound` if the
        session ended, `TimeoutError` after `timeout` s."""
        watch = ConvergenceWatch(session_id, self._pushes.after_seq(session_id, after_seq))

        async def decide() -> JSONObject:
            since = watch.after_seq
            while True:
                sub = self._subs.get(session_id)
                if sub is None or not sub.covers(since):
                    try:
                        await self.subscribe(session_id, since_seq=since, _rewind=False)
                    except SolverdError as error:
                        if error.code != "events_expired":
                            raise
                        since = resume_point(error, since)
                        continue
                return await self._subs[session_id].wait(watch)
        try:
            return await asyncio.wait_for(decide(), timeout)
        except asyncio.TimeoutError:  # a TimeoutError, as from the sync client (distinct before Python 3.11)
            raise TimeoutError(f"session {session_id} did not converge within {timeout} s") from None


def _ref(future: asyncio.Future[JSONObject]) -> str:
    ref: str = getattr(future, "ref")
    return ref
