"""Cluster mode: any node serves any client — cross-node subscribe and update over WebSocket, resume on another
node without gaps or duplicates, node list with health, swarm join."""
import asyncio
import json
import signal

import pytest
import requests
import websockets

from cluster_support import RedisServer, needs_redis, start_node
from conftest import laplacian_csr, wait_for

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
