"""Cluster mode: any node serves any client — cross-node subscribe and update over WebSocket, resume on another
node without gaps or duplicates, node list with health (swarm listing and /api/v1/status), swarm join."""
import asyncio
import json
import signal

import pytest
import requests
import websockets

from cluster_support import RedisServer, needs_redis, start_node
from conftest import Server, laplacian_csr, wait_for

pytestmark = needs_redis


@pytest.fixture
def cluster():
    redis = RedisServer()
    nodes = [start_node(redis, f"n{k}", 1000) for k in range(1, 4)]
    yield redis, nodes
    for n in nodes:
        n.stop(signal.SIGKILL, timeout=5)
    redis.stop()


async def recv_until(ws, predicate, timeout=10):
    seen = []
    async def loop():
        while True:
            msg = json.loads(await ws.recv())
            seen.append(msg)
            if predicate(msg):
                return
    await asyncio.wait_for(loop(), timeout)
    return seen


def test_cross_node_subscribe_update_and_resume(cluster):
    redis, (n1, n2, n3) = cluster
    matrix = laplacian_csr(8)
    sid = n1.post("/api/v1/sessions", {"type": "solve_request", "matrix": matrix,
                                       "vector": [1.0] * matrix["rows"]}).json()["session_id"]

    async def run():
        # Subscribe on n2 and update through n3: neither owns the session.
        async with websockets.connect(n2.ws_url) as sub, websockets.connect(n3.ws_url) as upd:
            await sub.send(json.dumps({"type": "subscribe", "session_id": sid, "since_seq": 0, "id": "s"}))
            await recv_until(sub, lambda m: m["type"] == "subscribed")
            await upd.send(json.dumps({"type": "cost_update", "session_id": sid, "id": "u1",
                                       "delta_costs": {"indices": [3], "values": [2.0]}}))
            ack = (await recv_until(upd, lambda m: m.get("ref") == "u1"))[-1]
            assert ack["type"] == "ack", ack
            seen = await recv_until(sub, lambda m: m["type"] == "convergence_signal" and m["last_applied_seq"] >= ack["seq"])
            seqs = [m["seq"] for m in seen if "seq" in m and m["type"] != "subscribed"]
            assert seqs == sorted(set(seqs))
            last = seqs[-1]
        # Resume on n3 from the last seen seq: later events only, none twice.
        async with websockets.connect(n3.ws_url) as sub, websockets.connect(n1.ws_url) as upd:
            await sub.send(json.dumps({"type": "subscribe", "session_id": sid, "since_seq": last, "id": "s"}))
            await recv_until(sub, lambda m: m["type"] == "subscribed")
            await upd.send(json.dumps({"type": "cost_update", "session_id": sid, "id": "u2",
                                       "delta_costs": {"indices": [5], "values": [1.0]}}))
            ack2 = (await recv_until(upd, lambda m: m.get("ref") == "u2"))[-1]
            assert ack2["type"] == "ack" and ack2["seq"] > ack["seq"]
            seen = await recv_until(sub, lambda m: m["type"] == "convergence_signal" and m["last_applied_seq"] >= ack2["seq"])
            seqs = [m["seq"] for m in seen if m["type"] != "subscribed"]
            assert seqs and min(seqs) > last and seqs == sorted(set(seqs))
    asyncio.run(run())


def test_node_list_health_and_swarm_join(cluster):
    redis, nodes = cluster
    r = requests.post(nodes[0].url("/api/v1/swarm/join"), json={"node_id": "ext-1", "address": "10.0.0.9:7000"}, timeout=5)
    assert r.status_code == 200, r.text
    listed = {n["node_id"]: n for n in r.json()["nodes"]}
    assert {"n1", "n2", "n3", "ext-1"} <= set(listed)
    assert listed["ext-1"]["kind"] == "external" and listed["n2"]["kind"] == "solverd"
    nodes[2].proc.send_signal(signal.SIGKILL)
    nodes[2].proc.wait()

    def n3_unhealthy():
        data = requests.get(nodes[1].url("/api/v1/swarm/nodes"), timeout=5).json()
        health = {n["node_id"]: n["healthy"] for n in data["nodes"]}
        return health.get("n3") is False and health.get("n1") is True
    assert wait_for(n3_unhealthy, timeout=10, interval=0.2)
    bad = requests.post(nodes[0].url("/api/v1/swarm/join"), json={"node_id": ""}, timeout=5)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "node_id"


def status_nodes(node):
    r = requests.get(node.url("/api/v1/status"), timeout=5)
    assert r.status_code == 200, r.text
    return r.json(), {n["node_id"]: n for n in r.json()["nodes"]}


def test_status_lists_the_cluster_nodes_with_health(cluster):
    redis, nodes = cluster
    # A fourth node set up by the cluster: block of a config file instead of flags.
    n4 = Server(config=f"cluster: {{redis_url: '{redis.url}', node_id: n4, lease_ms: 1000, heartbeat_ms: 200}}\n")
    try:
        status, listed = wait_for(lambda: (s := status_nodes(nodes[1]))[1].keys() >= {"n1", "n2", "n3", "n4"} and s,
                                  timeout=10, interval=0.1)
        assert status["mode"] == "cluster" and status["cluster_store"] == "ok" and status["node_id"] == "n2"
        assert all(listed[n]["healthy"] and listed[n]["kind"] == "solverd" for n in ("n1", "n2", "n3", "n4"))
        assert [n for n in listed if listed[n]["self"]] == ["n2"]
        assert listed["n4"]["address"] == f"127.0.0.1:{n4.port}" and listed["n4"]["last_heartbeat"] > 0
        # The same nodes as the swarm listing.
        swarm = requests.get(nodes[1].url("/api/v1/swarm/nodes"), timeout=5).json()
        assert {n["node_id"] for n in swarm["nodes"]} == set(listed)
        # Killed: listed unhealthy once three heartbeats are missed. Drained (SIGTERM): gone from the list.
        nodes[2].proc.send_signal(signal.SIGKILL)
        nodes[2].proc.wait()
        assert n4.stop(signal.SIGTERM, timeout=15) == 0
        assert wait_for(lambda: (l := status_nodes(nodes[0])[1]).get("n3", {}).get("healthy") is False and "n4" not in l,
                        timeout=10, interval=0.1)
    finally:
        n4.stop(signal.SIGKILL, timeout=5)
    # Redis away: status still answers, with this node alone and unhealthy.
    redis.stop()
    status, listed = status_nodes(nodes[0])
    assert status["cluster_store"] == "unreachable" and list(listed) == ["n1"] and not listed["n1"]["healthy"]


def test_status_in_embedded_mode_lists_this_node_alone():
    s = Server()
    try:
        status, listed = status_nodes(s)
        assert status["mode"] == "embedded" and "cluster_store" not in status
        assert listed == {status["node_id"]: {"node_id": status["node_id"], "kind": "solverd", "healthy": True, "self": True}}
    finally:
        s.stop()


def test_remote_websocket_subscriptions_check_existence_and_end_with_the_session(cluster):
    redis, (n1, n2, n3) = cluster
    matrix = laplacian_csr(6)
    sid = n1.post("/api/v1/sessions", {"matrix": matrix, "vector": [1.0] * matrix["rows"]}).json()["session_id"]

    async def run():
        async with websockets.connect(n2.ws_url) as ws:
            await ws.send(json.dumps({"type": "subscribe", "session_id": "no-such-session", "id": "missing"}))
            missing = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert missing["type"] == "error" and missing["code"] == "session_not_found" and missing["ref"] == "missing"
            await ws.send(json.dumps({"type": "subscribe", "session_id": sid, "since_seq": 0, "id": "s"}))
            await recv_until(ws, lambda m: m["type"] == "subscribed")
            # Closed through a node that does not own it: the owner ends it.
            deleted = await asyncio.to_thread(requests.delete, n3.url(f"/api/v1/sessions/{sid}"), timeout=10)
            assert deleted.status_code == 200, deleted.text
            await recv_until(ws, lambda m: m["type"] == "session_closed")
            # The feed ended with the session: unsubscribing finds nothing left to cancel.
            await ws.send(json.dumps({"type": "unsubscribe", "session_id": sid, "id": "u"}))
            reply = (await recv_until(ws, lambda m: m.get("ref") == "u"))[-1]
            assert reply["type"] == "error" and reply["code"] == "session_not_found", reply
    asyncio.run(run())
    assert wait_for(lambda: n1.get(f"/api/v1/sessions/{sid}").status_code == 404, timeout=5)
    again = requests.delete(n3.url(f"/api/v1/sessions/{sid}"), timeout=10)
    assert again.status_code == 404 and again.json()["error"]["code"] == "session_not_found", again.text


def test_session_list_shows_the_whole_cluster_with_owners(cluster):
    redis, (n1, n2, n3) = cluster
    matrix = laplacian_csr(4)
    ids = [node.post("/api/v1/sessions", {"matrix": matrix, "vector": [1.0] * matrix["rows"]}).json()["session_id"]
           for node in (n1, n2)]
    listed = n3.get("/api/v1/sessions").json()
    assert listed["count"] == 0 and listed["sessions"] == []
    assert {(r["session_id"], r["owner"]) for r in listed["remote"]} >= {(ids[0], "n1"), (ids[1], "n2")}
    on_n1 = n1.get("/api/v1/sessions").json()
    assert [s["session_id"] for s in on_n1["sessions"]] == [ids[0]]
    assert ids[0] not in {r["session_id"] for r in on_n1["remote"]}
