"""Async WebSocket client for `/ws/solver`: requests matched to replies by `id`/`ref`, per-session event buffers,
and automatic reconnect that resumes every subscription from its last seen `seq` (`since_seq`), so an event
iterator sees each retained event once, in order, across connection drops."""
import asyncio
import itertools
import json
import logging
from collections import deque
from urllib.parse import urlencode, urlsplit, urlunsplit

import websockets

from .errors import ConnectionLost, SolverdError, error_from
from .http import SolverdHTTP, auth_headers
from .inputs import cost_report_payload, cost_update_payload, index_payload, solve_request_payload

log = logging.getLogger("solverd_client")

DEFAULT_WS_URL = "ws://127.0.0.1:3000/ws/solver"
EVENT_TYPES = frozenset({"iteration_update", "verification_result", "convergence_signal", "correction_applied",
                         "update_rejected", "costs_aggregated", "session_closed"})


class _Subscription:
    """One session's event buffer. `last_seq` is the newest seq handed to the buffer: the resume point."""

    def __init__(self, session_id, last_seq, watch_indices, max_buffered):
        self.session_id = session_id
        self.last_seq = last_seq
        self.watch_indices = watch_indices
        self.max_buffered = max_buffered
        self.buffer = deque()
        self.wake = asyncio.Event()
        self.error = None
        self.finished = False

    def deliver(self, event):
        seq = event["seq"]
        if self.last_seq is not None and seq <= self.last_seq:
            return  # a replayed event this buffer already holds or handed out
        self.last_seq = seq
        self.buffer.append(event)
        if len(self.buffer) > self.max_buffered:
            self._shed_oldest_frame()
        if event["type"] == "session_closed":
            self.finished = True
        self.wake.set()

    def _shed_oldest_frame(self):
        """Keeps memory bounded for an unread buffer: drops the oldest iteration_update (frames are snapshots
        that the server coalesces too); other events are never dropped."""
        for k, queued in enumerate(self.buffer):
            if queued["type"] == "iteration_update":
                del self.buffer[k]
                return

    def fail(self, error):
        self.error = error
        self.finished = True
        self.wake.set()

    @property
    def active(self):
        return not self.finished


class AsyncSolverClient:
    """`async with AsyncSolverClient("ws://127.0.0.1:3000/ws/solver") as client: ...`

    Sessions this connection creates are subscribed from their first event. `events(session_id)` is an async
    iterator over one session's events; use one consumer per session (consumers share the buffer)."""

    def __init__(self, url=DEFAULT_WS_URL, token=None, reconnect=True, reconnect_timeout=30.0,
                 request_timeout=30.0, max_buffered_events=100_000):
        self.url = url
        self.token = token
        self.reconnect = reconnect
        self.reconnect_timeout = reconnect_timeout
        self.request_timeout = request_timeout
        self.max_buffered_events = max_buffered_events
        parts = urlsplit(url)
        self.http = SolverdHTTP(urlunsplit(("https" if parts.scheme == "wss" else "http", parts.netloc, "", "", "")),
                                token=token, timeout=request_timeout)
        self.reconnects = 0
        self.connection = None
        self._subs = {}
        self._pending = {}
        self._ids = itertools.count(1)
        self._connected = asyncio.Event()
        self._closing = False
        self._supervisor = None
        self._fatal = None

    # Connection lifecycle
    async def __aenter__(self):
        await self.connect()
        return self

    async def __aexit__(self, *exc):
        await self.close()

    def _connect_url(self):
        if not self.token:
            return self.url
        parts = urlsplit(self.url)
        query = "&".join(filter(None, [parts.query, urlencode({"access_token": self.token})]))
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))

    async def _open(self):
        self.connection = await websockets.connect(self._connect_url(), additional_headers=auth_headers(self.token),
                                                   max_size=None, open_timeout=self.request_timeout)
        self._connected.set()

    async def connect(self):
        await self._open()
        self._supervisor = asyncio.create_task(self._supervise())

    async def close(self):
        self._closing = True
        if self.connection is not None:
            await self.connection.close()
        if self._supervisor is not None:
            await self._supervisor
        for sub in self._subs.values():
            if sub.active:
                sub.finished = True
                sub.wake.set()

    async def _supervise(self):
        """Reads frames; when the socket drops unexpectedly, reconnects and resumes every subscription."""
        while True:
            try:
                async for raw in self.connection:
                    self._dispatch(raw)
            except websockets.ConnectionClosed:
                pass
            except Exception as error:  # a bug in dispatch must not kill the reader silently
                log.exception("solverd_client: reader failed")
                self._fatal = error
            self._connected.clear()
            self._fail_pending(ConnectionLost())
            if self._closing or not self.reconnect or self._fatal or not await self._reconnect():
                lost = self._fatal or ConnectionLost("the WebSocket connection was lost and not re-established")
                for sub in self._subs.values():
                    if sub.active and not self._closing:
                        sub.fail(lost)
                return

    async def _reconnect(self):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reconnect_timeout
        delay = 0.05
        while not self._closing and loop.time() < deadline:
            try:
                await self._open()
            except (OSError, asyncio.TimeoutError, websockets.InvalidHandshake) as error:
                log.info("solverd_client: reconnect failed (%s); retrying in %.2f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            self.reconnects += 1
            for sub in self._subs.values():
                if sub.active:
                    await self._resubscribe(sub)
            return True
        return False

    async def _resubscribe(self, sub):
        """Asks for everything after `sub.last_seq`; a failure (session gone, events expired) ends the iterator."""
        future = self._register(on_reply=self._subscribed_handler(sub.session_id, sub.last_seq, sub.watch_indices))
        message = {"type": "subscribe", "id": future.ref, "session_id": sub.session_id}
        if sub.last_seq is not None:
            message["since_seq"] = sub.last_seq
        if sub.watch_indices is not None:
            message["watch_indices"] = sub.watch_indices
        future.add_done_callback(lambda f: f.cancelled() or f.exception() is None or
                                 isinstance(f.exception(), ConnectionLost) or sub.fail(f.exception()))
        await self.connection.send(json.dumps(message))

    # Frames
    def _dispatch(self, raw):
        message = json.loads(raw)
        kind = message.get("type")
        ref = message.get("ref")
        if ref is not None and ref in self._pending:
            future, on_reply = self._pending.pop(ref)
            if kind == "error":
                error = error_from(message, ref=ref)
                if not future.done():
                    future.set_exception(error)
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

    def _register(self, on_reply=None):
        ref = f"py{next(self._ids)}"
        future = asyncio.get_running_loop().create_future()
        future.ref = ref
        self._pending[ref] = (future, on_reply)
        return future

    def _fail_pending(self, error):
        pending, self._pending = self._pending, {}
        for future, _ in pending.values():
            if not future.done():
                future.set_exception(error)

    async def _request(self, message, on_reply=None):
        """Sends `message` with a fresh `id` and waits for the reply that carries it as `ref`."""
        if not self._connected.is_set():
            if self._supervisor is None or self._supervisor.done():
                raise ConnectionLost("the client is not connected")
            await asyncio.wait_for(self._connected.wait(), self.reconnect_timeout)
        future = self._register(on_reply)
        message = {**message, "id": future.ref}
        try:
            await self.connection.send(json.dumps(message))
        except websockets.ConnectionClosed:
            self._pending.pop(future.ref, None)
            raise ConnectionLost(ref=future.ref)
        try:
            return await asyncio.wait_for(future, self.request_timeout)
        finally:
            self._pending.pop(future.ref, None)

    # Requests
    async def ping(self):
        return await self._request({"type": "ping"})

    async def create(self, matrix, vector, method=None, options=None, session_id=None, x0=None):
        """Creates a session (numpy/scipy inputs accepted); returns `session_created`. This connection is
        subscribed to it from its first event."""
        body = solve_request_payload(matrix, vector, method=method, options=options, session_id=session_id, x0=x0)

        def register(reply):
            self._subs[reply["session_id"]] = _Subscription(reply["session_id"], 0, None, self.max_buffered_events)
        return await self._request({"type": "solve_request", **body}, on_reply=register)

    def _subscribed_handler(self, session_id, since_seq, watch_indices):
        """Registers (or updates) the buffer synchronously when `subscribed` arrives, before any event follows it."""
        def on_reply(reply):
            sub = self._subs.get(session_id)
            if sub is None or not sub.active:
                start = since_seq if since_seq is not None else reply["next_seq"] - 1
                sub = self._subs[session_id] = _Subscription(session_id, start, watch_indices, self.max_buffered_events)
            sub.watch_indices = watch_indices
        return on_reply

    async def subscribe(self, session_id, since_seq=None, watch_indices=None):
        """Subscribes to a session: live events, or every retained event after `since_seq`; `watch_indices` puts
        those entries of x in each `iteration_update`'s `x_partial`. Returns `subscribed` (with `next_seq`)."""
        current = self._subs.get(session_id)
        if since_seq is None and current is not None and current.active:
            since_seq = current.last_seq  # re-subscribing replaces the server's sink: resume so nothing is missed
        message = {"type": "subscribe", "session_id": session_id}
        if since_seq is not None:
            message["since_seq"] = int(since_seq)
        watch = index_payload(watch_indices) if watch_indices is not None else None
        if watch is not None:
            message["watch_indices"] = watch
        return await self._request(message, on_reply=self._subscribed_handler(session_id, since_seq, watch))

    async def unsubscribe(self, session_id):
        reply = await self._request({"type": "unsubscribe", "session_id": session_id})
        sub = self._subs.pop(session_id, None)
        if sub is not None:
            sub.finished = True
            sub.wake.set()
        return reply

    async def push(self, session_id, delta_indices=None, delta_values=None, matrix_updates=None, source_node=None):
        """Sends a `cost_update` and waits for its `ack`; returns the update's `seq`. Raises the typed error of an
        `error` reply; `ConnectionLost` when the socket dropped first (the update may or may not have applied,
        so it is not re-sent automatically: deltas are additive)."""
        body = cost_update_payload(session_id, delta_indices, delta_values, matrix_updates, source_node)
        return (await self._request({"type": "cost_update", **body}))["seq"]

    async def report(self, session_id, node_id, indices, values, confidence=None, propagation_depth=None):
        """Sends a swarm `cost_report` and waits for its `ack`; returns its `seq`."""
        body = cost_report_payload(session_id, node_id, indices, values, confidence, propagation_depth)
        return (await self._request(body))["seq"]

    async def verify(self, session_id, probe_count=None, indices=None):
        message = {"type": "verify", "session_id": session_id}
        if probe_count is not None:
            message["probe_count"] = int(probe_count)
        if indices is not None:
            message["indices"] = index_payload(indices)
        return await self._request(message)

    async def solution(self, session_id, indices=None):
        """Reads x (or the given entries) over HTTP on the same port."""
        return await asyncio.to_thread(self.http.solution, session_id, indices)

    async def status(self, session_id):
        return await asyncio.to_thread(self.http.status, session_id)

    # Events
    def last_seq(self, session_id):
        """The newest event seq received for the session: where a resume starts (None when not subscribed)."""
        sub = self._subs.get(session_id)
        return sub.last_seq if sub else None

    async def events(self, session_id, since_seq=None, watch_indices=None):
        """Async iterator of the session's events, resumed across reconnects without gaps or repeats. Subscribes
        when needed (a created session already is). Ends after `session_closed`; raises a typed error when the
        events cannot continue (session gone, `events_expired`, reconnect gave up)."""
        sub = self._subs.get(session_id)
        watch = index_payload(watch_indices) if watch_indices is not None else None
        if sub is None or (sub.finished and not sub.buffer):
            await self.subscribe(session_id, since_seq=since_seq, watch_indices=watch)
        elif sub.finished:
            pass  # drain what arrived before the subscription ended (e.g. session_closed)
        elif watch is not None and watch != sub.watch_indices:
            await self.subscribe(session_id, since_seq=sub.last_seq, watch_indices=watch)
        sub = self._subs[session_id]
        while True:
            if sub.buffer:
                yield sub.buffer.popleft()
                continue
            if sub.error is not None:
                raise sub.error
            if sub.finished:
                return
            sub.wake.clear()
            await sub.wake.wait()

    async def wait_converged(self, session_id, after_seq=0, timeout=30.0):
        """Consumes events until a `convergence_signal` that reflects every update up to `after_seq`; returns it.
        Raises `SolverdError` with code `not_converged` when the session stopped instead."""
        async def scan():
            async for event in self.events(session_id):
                if event["type"] == "convergence_signal" and event["last_applied_seq"] >= after_seq:
                    if event["converged"]:
                        return event
                    raise SolverdError("not_converged", event.get("reason") or "the session stopped")
            raise SolverdError("session_closed", f"session {session_id} ended before converging")
        return await asyncio.wait_for(scan(), timeout)
