"""Python client 0.2 against the real server: `wait_converged` follows ONE event stream instead of polling (counted
through /metrics, and under a 5-requests-per-300-s limit with auth on), the sync and async clients offer the same
helpers, the sync event stream resumes by seq after a cut connection, numpy/scipy out, and the browser-policy error
codes map to typed errors."""
import asyncio
import hashlib
import inspect
import re
import socket
import threading
import time

import numpy as np
import pytest
import requests

from conftest import PLAN_MATRIX_CONSISTENT, Server, laplacian_csr
from python_client_support import PLAN_DENSE, run, slow_system
from solverd_client import (SUBPROTOCOLS, AsyncSolverClient, Forbidden, InvalidRequest, NotConverged, RateLimited,
                            SessionNotFound, SolverClient, SolverdHTTP, Unauthorized, partial_array, to_scipy)
from solverd_client.protocol import decode_reply

TOKEN = "pyclient-test-token-alice"
LIMITED = f"""
auth:
  tokens:
    - principal: alice
      sha256: {hashlib.sha256(TOKEN.encode()).hexdigest()}
      roles: [admin]
rate_limits:
  exempt_loopback_when_open: false
  ip:
    requests: 5
    window_seconds: 300
"""


def metric(server, name, labels=""):
    text = server.get("/metrics").text
    return float(re.search(rf"^{name}{re.escape(labels)} (\S+)$", text, re.M).group(1))


def counters(server):
    """(HTTP requests, streams opened, WebSocket messages) so far; reading /metrics is itself one HTTP request."""
    text = server.get("/metrics").text

    def value(pattern):
        return float(re.search(pattern, text, re.M).group(1))
    return (value(r"^solverd_http_requests_total (\S+)$"),
            value(r'^solverd_connections_total\{kind="stream"\} (\S+)$'),
            value(r"^solverd_websocket_messages_total (\S+)$"))


@pytest.fixture
def client(server):
    with SolverClient(server.base) as c:
        yield c


def test_sync_wait_converged_is_one_streaming_request(server, client):
    a, b = slow_system()
    sid = client.create(a, b, method="jacobi")["session_id"]
    before = counters(server)
    signal = client.wait_converged(sid)
    after = counters(server)
    assert signal["type"] == "convergence_signal" and signal["converged"] and signal["iteration"] > 20
    assert after[0] - before[0] == 2, "one events stream (+ this /metrics read), no status polls"
    assert after[1] - before[1] == 1
    # After a push, the default after_seq is that update: again one stream, resumed from since = seq.
    seq = client.push(sid, [0, 5], np.array([0.5, -0.25]))
    before = counters(server)
    signal = client.wait_converged(sid)
    after = counters(server)
    assert signal["last_applied_seq"] >= seq and signal["seq"] > seq
    assert (after[0] - before[0], after[1] - before[1]) == (2, 1)


def test_async_wait_converged_uses_the_subscribed_websocket(server, client):
    a, b = slow_system()
    sid = client.create(a, b, method="jacobi")["session_id"]  # not created on the WebSocket: one subscribe needed

    async def scenario():
        async with AsyncSolverClient(server.ws_url) as ws:
            assert ws.subprotocol in SUBPROTOCOLS
            before = await asyncio.to_thread(counters, server)
            signal = await ws.wait_converged(sid)
            after = await asyncio.to_thread(counters, server)
            assert signal["converged"] and signal["iteration"] > 20
            assert (after[0] - before[0], after[2] - before[2]) == (1, 1), "one subscribe, no HTTP request"
            seq = await ws.push(sid, [1], [0.5])
            before = after
            again = await ws.wait_converged(sid)  # subscribed since the first wait: nothing to send
            after = await asyncio.to_thread(counters, server)
            assert again["last_applied_seq"] >= seq
            assert (after[0] - before[0], after[2] - before[2]) == (1, 1), "only the cost_update"
    run(scenario())


def test_both_clients_converge_under_auth_and_a_five_request_limit():
    """Auth on, 5 requests per 300 s per address: a 20 ms status poller would be refused within 0.1 s. Each client
    spends 4 of the 5 (cost updates have their own budget), so the last request is refused to show the limit bites."""
    for kind in ("sync", "async"):
        server = Server(config=LIMITED)
        try:
            with pytest.raises(Unauthorized) as refused:
                SolverClient(server.base).sessions()
            assert refused.value.status == 401
            if kind == "sync":
                with SolverClient(server.base, token=TOKEN) as c:
                    sid = c.create(*slow_system(), method="jacobi")["session_id"]  # 1
                    assert c.wait_converged(sid)["converged"]  # 2
                    seq = c.push(sid, [3], [1.0])
                    assert c.wait_converged(sid)["last_applied_seq"] >= seq  # 3
                    assert c.solution_array(sid, indices=[3]).shape == (1,)  # 4
                    c.status(sid)  # 5
                    with pytest.raises(RateLimited) as limited:
                        c.status(sid)
            else:
                async def scenario():
                    with pytest.raises(Unauthorized):
                        await AsyncSolverClient(server.ws_url).connect()
                    async with AsyncSolverClient(server.ws_url, token=TOKEN) as ws:  # 1
                        sid = (await ws.create(*slow_system(), method="jacobi"))["session_id"]  # 2
                        assert (await ws.wait_converged(sid))["converged"]
                        seq = await ws.push(sid, [3], [1.0])
                        assert (await ws.wait_converged(sid))["last_applied_seq"] >= seq
                        assert (await ws.verify(sid, probe_count=3))["verified"]  # 3
                        assert len(await ws.solution_array(sid)) == 44 * 44  # 4 (over HTTP)
                        await ws.status(sid)  # 5
                        with pytest.raises(RateLimited) as caught:
                            await ws.status(sid)
                        return caught
                limited = run(scenario(), timeout=60)
            assert limited.value.status == 429 and limited.value.retry_after > 0
            assert metric(server, "solverd_rejects_total", '{reason="ip_requests"}') == 1
        finally:
            server.stop()


class CuttingProxy:
    """Forwards a loopback port to the server; the first connection is cut after `cut_after` bytes of its reply."""

    def __init__(self, port, cut_after):
        self.port, self.cut_after, self.connections = port, cut_after, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            upstream = socket.create_connection(("127.0.0.1", self.port))
            limit = self.cut_after if self.connections == 1 else None
            threading.Thread(target=self._pump, args=(downstream, upstream, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, downstream, limit), daemon=True).start()

    @staticmethod
    def _pump(source, sink, limit):
        sent = 0
        try:
            while data := source.recv(4096):
                if limit is not None and sent + len(data) >= limit:
                    sink.sendall(data[:limit - sent])
                    break
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        self.listener.close()


def test_sync_events_resume_by_seq_after_a_cut_stream(server, client):
    sid = client.create(*slow_system(), method="jacobi")["session_id"]
    proxy = CuttingProxy(server.port, cut_after=2500)
    try:
        with SolverClient(proxy.url) as cut:
            events = list(cut.events(sid, since_seq=0, until_converged=True))
            assert cut.reconnects >= 1 and proxy.connections >= 2
            assert cut.last_seq(sid) == events[-1]["seq"]
    finally:
        proxy.close()
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs)), "a repeat or a reordering across the resume"
    assert events[-1]["type"] == "convergence_signal" and events[-1]["converged"]
    reference = list(client.events(sid, since_seq=0, until_converged=True))
    assert {e["seq"] for e in reference if e["type"] != "iteration_update"} <= set(seqs), "a gap across the resume"
    # A resume point: only the events after it.
    later = list(client.events(sid, since_seq=seqs[-3], until_converged=True))
    assert [e["seq"] for e in later] == [s for s in seqs if s > seqs[-3]]


def test_wait_converged_verdicts_in_both_clients(server, client):
    """A rejected update, a session that stops, and a timeout end the wait with a typed error, not a hang."""
    sid = client.create(PLAN_DENSE, [1, 2, 3])["session_id"]
    bad = client.push(sid, matrix_updates=[(0, 1, 1.0, 9.0)])  # old_value 9 is wrong: rejected
    with pytest.raises(InvalidRequest) as rejected:
        client.wait_converged(sid, timeout=10)
    assert rejected.value.code == "old_value_mismatch" and str(bad) in rejected.value.message
    stops = client.create(laplacian_csr(20, 0.01), np.ones(400), method="jacobi", options={"max_iterations": 5})
    with pytest.raises(NotConverged):
        client.wait_converged(stops["session_id"], timeout=10)
    slow = client.create(*slow_system(), method="jacobi", options={"tolerance": 1e-14})["session_id"]
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        client.wait_converged(slow, timeout=0.3)
    assert time.monotonic() - started < 2

    async def scenario():
        async with AsyncSolverClient(server.ws_url) as ws:
            created = await ws.create(PLAN_DENSE, [1, 2, 3])
            await ws.push(created["session_id"], matrix_updates=[{"row": 0, "col": 0, "old_value": 5.0,
                                                                  "new_value": 1.0}])
            with pytest.raises(InvalidRequest):
                await ws.wait_converged(created["session_id"], timeout=10)
            with pytest.raises(NotConverged):
                await ws.wait_converged(stops["session_id"], timeout=10)
            with pytest.raises(TimeoutError):
                await ws.wait_converged(slow, timeout=0.3)
            await ws.delete(created["session_id"])
            with pytest.raises(SessionNotFound):
                await ws.wait_converged(created["session_id"], after_seq=10**6, timeout=10)
    run(scenario())


def test_sync_and_async_clients_offer_the_same_helpers():
    shared = ["create", "push", "report", "verify", "status", "solution", "solution_array", "sessions", "delete",
              "events", "wait_converged", "last_seq", "service_status", "health"]
    for name in shared:
        sync, async_ = getattr(SolverClient, name), getattr(AsyncSolverClient, name)
        sync_params = [p for p in inspect.signature(sync).parameters if p != "since"]
        async_params = [p for p in inspect.signature(async_).parameters if p != "watch_indices"]
        assert sync_params == async_params, name
        assert inspect.iscoroutinefunction(async_) or inspect.isasyncgenfunction(async_) or name == "last_seq"
    assert SolverdHTTP is SolverClient
    assert SUBPROTOCOLS == ("solverd.v1", "solverd")


@pytest.mark.parametrize("accepted", [["solverd.v1"], ["solverd"]])
def test_the_subprotocol_offer_suits_new_and_old_servers(accepted):
    """The client offers `solverd.v1, solverd`: a server that knows the versioned name picks it, an older one
    `solverd` (a stand-in WebSocket server here, accepting only `accepted`)."""
    from websockets.asyncio.server import serve
    offered = []

    async def scenario():
        async def handler(connection):
            offered.append(connection.request.headers["Sec-WebSocket-Protocol"])
            await connection.wait_closed()
        async with serve(handler, "127.0.0.1", 0, subprotocols=accepted) as stand_in:
            port = stand_in.sockets[0].getsockname()[1]
            async with AsyncSolverClient(f"ws://127.0.0.1:{port}/ws/solver") as ws:
                return ws.subprotocol
    assert run(scenario()) == accepted[0]
    assert offered == ["solverd.v1, solverd"]


def test_numpy_and_scipy_out(server, client):
    for layout in (PLAN_MATRIX_CONSISTENT, {**PLAN_MATRIX_CONSISTENT, "data": {"rows": [0, 1, 1, 1, 2, 0, 1, 2],
                   "cols": [0, 0, 1, 1, 1, 1, 2, 2], "values": [2, -1, 1, 1, -1, -1, -1, 2]}}, {"rows": 3, "cols": 3,
                   "dense": PLAN_DENSE.tolist()}, PLAN_DENSE, PLAN_DENSE.tolist()):
        matrix = to_scipy(layout)
        assert matrix.format == "csr"
        np.testing.assert_array_equal(matrix.toarray(), PLAN_DENSE)
    sid = client.create(to_scipy(PLAN_DENSE), np.array([1.0, 2.0, 3.0]))["session_id"]
    client.wait_converged(sid)
    x = client.solution_array(sid)
    assert x.dtype == np.float64 and x.shape == (3,)
    np.testing.assert_allclose(client.solution_array(sid, indices=np.array([2, 0])), x[[2, 0]])
    frame = next(e for e in client.events(sid, since_seq=0) if e["type"] == "iteration_update" and
                 e["x_partial"]["indices"])
    dense = partial_array(frame["x_partial"], 3)
    assert np.isfinite(dense[frame["x_partial"]["indices"]]).all()


def test_browser_policy_codes_map_to_typed_errors(server):
    foreign_origin = requests.Session()
    foreign_origin.headers["Origin"] = "http://evil.example"
    with pytest.raises(Forbidden) as origin:
        SolverClient(server.base, session=foreign_origin).sessions()
    assert (origin.value.code, origin.value.status) == ("origin_not_allowed", 403)
    foreign_host = requests.Session()
    foreign_host.headers["Host"] = "rebound.example"
    with pytest.raises(Forbidden) as host:
        SolverClient(server.base, session=foreign_host).sessions()
    assert (host.value.code, host.value.status) == ("host_not_allowed", 421)
    form = requests.post(server.url("/api/v1/sessions"), data="{}", headers={"content-type": "text/plain"}, timeout=10)
    with pytest.raises(InvalidRequest) as media:
        decode_reply(form.status_code, form.json(), form.text)
    assert (media.value.code, media.value.status) == ("unsupported_media_type", 415)
