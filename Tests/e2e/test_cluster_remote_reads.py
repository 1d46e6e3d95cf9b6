"""Cluster mode: any node serves any client over HTTP too — NDJSON/SSE event streams, status, solution and verify
on a node that does not own the session are the owner's (relayed through Redis), with resume, clear errors and no
hang when the owner dies."""
import json
import signal
import threading
import time

import pytest
import requests
import sseclient

from cluster_support import RedisServer, needs_redis, owner_of
from conftest import Server, laplacian_csr, wait_for

pytestmark = needs_redis
LEASE_MS = 1000
# Relayed reads wait at most 15 s for the owner (verify); every answer must come well within that.
ANSWER_WITHIN = 17


def start_node(redis, node_id):
    """A cluster node whose streams beat every 0.3 s: idle streams show heartbeats, and a client that left is
    noticed at the next write."""
    node = Server("--cluster", redis.url, "--node-id", node_id, "--lease-ms", str(LEASE_MS),
                  config="server:\n  heartbeat_seconds: 0.3\n")
    node.node_id = node_id
    return node


@pytest.fixture
def cluster():
    redis = RedisServer()
    nodes = [start_node(redis, f"n{k}") for k in range(1, 4)]
    yield redis, nodes
    for n in nodes:
        n.stop(signal.SIGKILL if n.proc.poll() is None else signal.SIGTERM, timeout=5)
    redis.stop()


def converged_session(node, side=8):
    matrix = laplacian_csr(side)
    r = node.post("/api/v1/sessions", {"type": "solve_request", "matrix": matrix, "vector": [1.0] * matrix["rows"],
                                       "options": {"tolerance": 1e-10}})
    assert r.status_code == 201, r.text
    sid = r.json()["session_id"]
    assert wait_for(lambda: node.get(f"/api/v1/status/{sid}").json()["phase"] == "converged", timeout=20)
    return sid


def update(node, sid, i, v):
    r = requests.post(node.url("/api/v1/swarm/costs"), json={"type": "cost_update", "session_id": sid,
                                                             "delta_costs": {"indices": [i], "values": [v]}}, timeout=10)
    assert r.status_code == 202, r.text
    return r.json()["seq"]


class EventStream:
    """`GET /api/v1/sessions/{id}/events` read record by record (heartbeats skipped), in either framing."""

    def __init__(self, node, sid, framing, since=None, last_event_id=None):
        headers = {"accept": "text/event-stream"} if framing == "sse" else {}
        if last_event_id is not None:
            headers["last-event-id"] = str(last_event_id)
        query = f"?since={since}" if since is not None else ""
        self.response = requests.get(node.url(f"/api/v1/sessions/{sid}/events{query}"), headers=headers,
                                     stream=True, timeout=15)
        assert self.response.status_code == 200, self.response.text
        self.records = self._sse() if framing == "sse" else self._ndjson()

    def _ndjson(self):
        self.heartbeats = 0
        for line in self.response.iter_lines():
            record = json.loads(line) if line else None
            if record and record["type"] == "heartbeat":
                self.heartbeats += 1
            elif record:
                yield record

    def _sse(self):
        for event in sseclient.SSEClient(self.response).events():
            record = json.loads(event.data)
            assert event.event == record["type"] and int(event.id) == record["seq"]
            yield record

    def until(self, predicate):
        seen = []
        for record in self.records:
            seen.append(record)
            if predicate(record):
                return seen
        raise AssertionError(f"the stream ended first: {[r['type'] for r in seen]}")

    def close(self):
        self.response.close()


def converged_at(seq):
    return lambda r: r["type"] == "convergence_signal" and r["last_applied_seq"] >= seq


def seqs(records):
    return [r["seq"] for r in records]


@pytest.mark.parametrize("framing", ["ndjson", "sse"])
def test_event_stream_on_a_non_owner_is_the_owners_and_resumes_without_gaps(cluster, framing):
    redis, (n1, n2, n3) = cluster
    sid = converged_session(n1)
    assert owner_of([n1, n2, n3], sid) is n1

    # Everything retained, from the owner and from a node that does not hold the session: the same seqs.
    histories = []
    for node in (n1, n2):
        stream = EventStream(node, sid, framing, since=0)
        histories.append(seqs(stream.until(lambda r: r["type"] == "convergence_signal")))
        stream.close()
    assert histories[0] == histories[1] == sorted(set(histories[1])), histories
    last = histories[1][-1]

    # Resume on n2 after `last` while n3 forwards an update: later events only, each once, in order, as the owner
    # has them.
    resume = {"last_event_id": last} if framing == "sse" else {"since": last}
    stream = EventStream(n2, sid, framing, **resume)
    seq = update(n3, sid, 3, 2.0)
    later = seqs(stream.until(converged_at(seq)))
    assert later and min(later) > last and later == sorted(set(later)), later
    owner = EventStream(n1, sid, framing, since=last)
    assert seqs(owner.until(converged_at(seq))) == later
    owner.close()

    # Deleting the session on its owner ends the remote stream with `session_closed`.
    assert requests.delete(n1.url(f"/api/v1/sessions/{sid}"), timeout=10).status_code == 200
    rest = list(stream.records)
    assert rest and rest[-1]["type"] == "session_closed", rest
    assert all(r["seq"] > later[-1] for r in rest)
    assert wait_for(lambda: requests.get(n2.url("/api/v1/status"), timeout=5).json()["streams"] == 0, timeout=5)


def test_a_remote_stream_beats_and_is_released_when_its_client_leaves(cluster):
    redis, (n1, n2, n3) = cluster
    sid = converged_session(n1)
    streams = [EventStream(n2, sid, framing, since=0) for framing in ("ndjson", "sse")]
    for s in streams:
        s.until(lambda r: r["type"] == "convergence_signal")
    assert requests.get(n2.url("/api/v1/status"), timeout=5).json()["streams"] == 2
    # The session is idle: only heartbeats flow on the NDJSON stream (SSE ones are comments, unseen here).
    ndjson = streams[0]
    threading.Timer(1.0, ndjson.close).start()
    with pytest.raises(Exception):
        next(ndjson.records)  # nothing but heartbeats until the timer closes it
    assert ndjson.heartbeats >= 2
    streams[1].close()
    # The next heartbeat finds the sockets closed: the streams are dropped and their feeds cancelled.
    assert wait_for(lambda: requests.get(n2.url("/api/v1/status"), timeout=5).json()["streams"] == 0, timeout=10)
    # An update later still works and the node keeps serving (nothing left subscribed is written to).
    update(n2, sid, 1, 1.0)
    assert n2.get(f"/api/v1/status/{sid}").status_code == 200


def test_status_solution_and_verify_on_a_non_owner_equal_the_owners(cluster):
    redis, (n1, n2, n3) = cluster
    sid = converged_session(n1)
    stable = lambda s: {k: v for k, v in s.items() if k not in ("last_activity", "subscribers")}
    for path in (f"/api/v1/sessions/{sid}", f"/api/v1/status/{sid}"):
        answers = [n.get(path) for n in (n1, n2, n3)]
        assert [a.status_code for a in answers] == [200] * 3, [a.text for a in answers]
        assert stable(answers[1].json()) == stable(answers[0].json()) == stable(answers[2].json())
    for query in ("", "?indices=0,5,63"):
        answers = [n.get(f"/api/v1/sessions/{sid}/solution{query}") for n in (n1, n2)]
        assert answers[0].status_code == answers[1].status_code == 200
        assert answers[1].json() == answers[0].json()
    body = {"type": "verify", "session_id": sid, "indices": [0, 7, 9]}
    answers = [requests.post(n.url("/api/v1/verify"), json=body, timeout=20) for n in (n1, n2)]
    assert answers[0].status_code == answers[1].status_code == 200, answers[1].text
    unstamped = lambda v: {k: x for k, x in v.items() if k not in ("timestamp", "probe_id", "interval_multiplier", "verification_time_ms")}
    assert unstamped(answers[1].json()) == unstamped(answers[0].json())
    assert answers[1].json()["session_id"] == sid and answers[1].json()["type"] == "verification_result"

    # Bad input is judged by the owner (it knows n) and comes back with its field.
    for node in (n1, n2):
        r = node.get(f"/api/v1/sessions/{sid}/solution?indices=1,640")
        assert r.status_code == 422 and r.json()["error"]["field"] == "indices[1]", r.text
        r = requests.post(node.url("/api/v1/verify"), json={**body, "indices": [1, 999]}, timeout=20)
        assert r.status_code == 422 and r.json()["error"]["code"] == "index_out_of_range", r.text
    r = n2.get(f"/api/v1/sessions/{sid}/solution?indices=x")
    assert r.status_code == 422 and r.json()["error"]["field"] == "indices[0]"

    # No such session anywhere: 404 at once on every read, from any node.
    for path in ("/api/v1/status/nope-123", "/api/v1/sessions/nope-123/solution", "/api/v1/sessions/nope-123/events"):
        r = n2.get(path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "session_not_found", (path, r.text)
    r = requests.post(n2.url("/api/v1/verify"), json={**body, "session_id": "nope-123"}, timeout=5)
    assert r.status_code == 404 and r.json()["error"]["field"] == "session_id"


def test_owner_killed_reads_fail_clearly_then_answer_from_the_adopter(cluster):
    redis, (n1, n2, n3) = cluster
    sid = converged_session(n1)
    expected = n1.get(f"/api/v1/sessions/{sid}/solution").json()["x"]
    stream = EventStream(n3, sid, "ndjson", since=0)
    last = seqs(stream.until(lambda r: r["type"] == "convergence_signal"))[-1]
    n1.proc.send_signal(signal.SIGKILL)
    n1.proc.wait()

    # Until another node adopts the session, reads on the survivors answer quickly with a clear error.
    outcomes = []
    deadline = time.time() + 20
    while time.time() < deadline:
        started = time.time()
        r = requests.get(n2.url(f"/api/v1/status/{sid}"), timeout=ANSWER_WITHIN)
        assert time.time() - started < ANSWER_WITHIN
        outcomes.append(r.status_code)
        if r.status_code == 200:
            break
        assert r.status_code in (503, 504), r.text
        assert r.json()["error"]["code"] in ("owner_unavailable", "owner_timeout"), r.text
        assert r.json()["error"]["message"]
        time.sleep(0.1)
    assert outcomes[-1] == 200, outcomes
    adopter = owner_of([n2, n3], sid)
    assert adopter in (n2, n3)

    # The adopted session answers the same solution from both survivors.
    for node in (n2, n3):
        r = node.get(f"/api/v1/sessions/{sid}/solution")
        assert r.status_code == 200, r.text
        assert r.json()["x"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    # The stream opened before the kill carries on with the adopter's events, after the last seen seq.
    seq = update(n2, sid, 4, 1.5)
    after = seqs(stream.until(converged_at(seq)))
    assert min(after) > last and after == sorted(set(after)), after
    stream.close()
