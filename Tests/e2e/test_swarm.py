"""Swarm cost reports (docs/design.md §7.1) and distributed verification with ⌊2N/3⌋+1 votes (§7.3): reports from
several nodes combined per entry before they replace b; in a four-node cluster with one node answering wrong
residuals (--fault-inject-wrong-residuals), the three honest nodes carry the vote and the faulty one is named."""
import asyncio
import json
import signal

import numpy as np
import pytest
import requests
import scipy.sparse
import scipy.sparse.linalg
import websockets

from cluster_support import RedisServer, needs_redis, start_node
from conftest import laplacian_csr, wait_for


def dense_solution(matrix, b):
    d = matrix["data"]
    a = scipy.sparse.csr_matrix((d["values"], d["col_indices"], d["row_pointers"]), shape=(matrix["rows"], matrix["cols"]))
    return scipy.sparse.linalg.spsolve(a.tocsc(), np.asarray(b, dtype=float))


def report(sid, node, indices, values, **extra):
    return {"type": "cost_report", "session_id": sid, "node_id": node,
            "local_costs": {"indices": indices, "values": values}, **extra}


def create(node, matrix, b, aggregation="weighted_average", swarm=False):
    r = node.post("/api/v1/sessions", {"matrix": matrix, "vector": b, "options": {"swarm_enabled": swarm, "tolerance": 1e-10},
                                        "flow_nexus": {"cost_aggregation": aggregation}})
    assert r.status_code == 201, r.text
    return r.json()["session_id"]


def converged_solution(node, sid, seq):
    def done():
        s = node.get(f"/api/v1/sessions/{sid}").json()
        return s["phase"] == "converged" and s["last_applied_seq"] >= seq
    assert wait_for(done, timeout=20)
    return np.array(node.get(f"/api/v1/sessions/{sid}/solution").json()["x"])


def test_reports_are_combined_per_entry_before_they_replace_b(server):
    matrix = laplacian_csr(6)
    b = [1.0] * matrix["rows"]
    sid = create(server, matrix, b)

    async def run():
        async with websockets.connect(server.ws_url) as ws:
            await ws.send(json.dumps({"type": "subscribe", "session_id": sid, "id": "s"}))
            # Two nodes report entry 3: weights 1 and 0.5 → (4·1 + 8·0.5) / 1.5.
            await ws.send(json.dumps({**report(sid, "node-a", [3], [4.0], computation_confidence=1.0), "id": "a"}))
            seen = []
            # node-b reports after node-a's is accepted: the WebSocket and the HTTP request may be served by
            # different service threads, so sending first does not order them.
            while not any(m.get("ref") == "a" for m in seen):
                seen.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
            acked = await asyncio.to_thread(server.post, "/api/v1/swarm/costs",
                                            report(sid, "node-b", [3, 7], [8.0, 2.0], computation_confidence=0.5, propagation_depth=2))
            assert acked.status_code == 202, acked.text
            ack = acked.json()
            assert ack["source_node"] == "node-b" and ack["propagation_depth"] == 2
            while not any(m.get("type") == "costs_aggregated" and m["update_seq"] == ack["seq"] for m in seen):
                seen.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
            ws_ack = next(m for m in seen if m.get("ref") == "a")
            assert ws_ack["type"] == "ack" and ws_ack["source_node"] == "node-a"
            return [m for m in seen if m.get("type") == "costs_aggregated"], ack["seq"]

    aggregated, seq = asyncio.run(run())
    last = aggregated[-1]
    assert last["node_id"] == "node-b" and last["aggregation"] == "weighted_average" and last["propagation_depth"] == 2
    assert last["indices"] == [3, 7] and last["contributing_nodes"] == [2, 1]
    assert abs(last["values"][0] - 16.0 / 3) < 1e-12 and last["values"][1] == 2.0
    expected_b = list(b)
    expected_b[3], expected_b[7] = 16.0 / 3, 2.0
    x = converged_solution(server, sid, seq)
    assert np.max(np.abs(x - dense_solution(matrix, expected_b))) < 1e-8


def test_sum_and_latest_aggregation_and_bad_reports(server):
    matrix = laplacian_csr(4)
    b = [1.0] * matrix["rows"]
    summed, latest = create(server, matrix, b, "sum"), create(server, matrix, b, "latest")
    for sid in (summed, latest):
        for node, value in (("a", 2.0), ("b", 3.0), ("a", 5.0)):
            r = server.post("/api/v1/swarm/costs", report(sid, node, [0], [value]))
            assert r.status_code == 202, r.text
        seq = r.json()["seq"]
        expected_b = list(b)
        expected_b[0] = 8.0 if sid == summed else 5.0  # sum: a's latest 5 + b's 3; latest: the last report
        x = converged_solution(server, sid, seq)
        assert np.max(np.abs(x - dense_solution(matrix, expected_b))) < 1e-8
    bad = [
        ({k: v for k, v in report(summed, "a", [0], [1.0]).items() if k != "node_id"}, 400, "node_id"),
        (report(summed, "a", [0, 1], [1.0]), 422, "local_costs.values"),
        (report(summed, "a", [99], [1.0]), 422, "local_costs.indices[0]"),
        (report(summed, "a", [0], [1.0], computation_confidence=1.5), 422, "computation_confidence"),
        (report(summed, "a", [0], [1.0], network_latency=-1), 422, "network_latency"),
    ]
    for body, status, field in bad:
        r = server.post("/api/v1/swarm/costs", body)
        assert r.status_code == status and r.json()["error"]["field"] == field, r.text


@pytest.fixture
def swarm():
    """Four nodes, n4 answering verification rounds wrongly; yields once every node lists all four as healthy."""
    redis = RedisServer()
    nodes = [start_node(redis, f"n{k}", 1000) for k in range(1, 4)]
    nodes.append(start_node(redis, "n4", 1000, "--fault-inject-wrong-residuals"))

    def all_healthy():
        listed = requests.get(nodes[0].url("/api/v1/swarm/nodes"), timeout=2).json()["nodes"]
        return sum(1 for n in listed if n["healthy"]) == 4
    assert wait_for(all_healthy, timeout=15)
    yield redis, nodes
    for n in nodes:
        n.stop(signal.SIGKILL, timeout=5)
    redis.stop()


def verify(node, sid):
    r = node.post("/api/v1/verify", {"session_id": sid, "probe_count": 8})
    assert r.status_code == 200, r.text
    return r.json()


@needs_redis
def test_one_faulty_node_of_four_is_outvoted_and_named(swarm):
    redis, nodes = swarm
    n1, n2, n3, n4 = nodes
    matrix = laplacian_csr(8)
    b = list(np.linspace(1, 2, matrix["rows"]))
    sid = create(n1, matrix, b, swarm=True)

    # Rounds ask every healthy node (the voter list refreshes each tick); wait until a round counts four.
    result = wait_for(lambda: (lambda r: r if r["swarm"]["asked_nodes"] == 4 else None)(verify(n1, sid)), timeout=10)
    assert result, "rounds never reached four voters"
    swarm_block = result["swarm"]
    assert result["type"] == "verification_result" and result["trigger"] == "swarm"
    assert swarm_block["participating_nodes"] == 4 and swarm_block["threshold"] == 3
    assert swarm_block["consensus_reached"] and swarm_block["agreement_level"] == 0.75
    assert swarm_block["agreeing_nodes"] == ["n1", "n2", "n3"] and swarm_block["dissenting_nodes"] == ["n4"]
    assert result["verified"] and not result["drift_detected"]
    assert len(result["residual_components"]) == 8

    async def frames_after_update():
        # Subscribed on a non-owner; the update goes through another non-owner.
        async with websockets.connect(n2.ws_url) as sub, websockets.connect(n3.ws_url) as upd:
            await sub.send(json.dumps({"type": "subscribe", "session_id": sid, "id": "s"}))
            while json.loads(await asyncio.wait_for(sub.recv(), 10))["type"] != "subscribed":
                pass
            await upd.send(json.dumps({"type": "cost_update", "session_id": sid, "id": "u",
                                       "delta_costs": {"indices": [5], "values": [0.25]}}))
            while True:
                m = json.loads(await asyncio.wait_for(sub.recv(), 10))
                if m["type"] == "iteration_update" and m["last_applied_seq"] > 0:
                    return m
    frame = asyncio.run(frames_after_update())
    assert frame["swarm_consensus"] == {"participating_nodes": 4, "agreement_level": 0.75}

    # The faulty node owning a session changes nothing: its own answer is outvoted too.
    sid4 = create(n4, matrix, b, swarm=True)
    owned_by_faulty = verify(n4, sid4)["swarm"]
    assert owned_by_faulty["consensus_reached"] and owned_by_faulty["dissenting_nodes"] == ["n4"]


@needs_redis
def test_reports_through_other_nodes_are_combined_at_the_owner_and_hops_are_counted(swarm):
    redis, (n1, n2, n3, n4) = swarm
    matrix = laplacian_csr(5)
    b = [1.0] * matrix["rows"]
    sid = create(n1, matrix, b, "sum")
    first = n2.post("/api/v1/swarm/costs", report(sid, "edge-2", [4], [1.5], propagation_depth=3))
    assert first.status_code == 202, first.text
    assert first.json()["source_node"] == "edge-2" and first.json()["propagation_depth"] == 3
    second = n3.post("/api/v1/swarm/costs", report(sid, "edge-3", [4], [2.0]))
    assert second.status_code == 202, second.text
    # A report that may not hop cannot reach the owner from a non-owner.
    refused = n2.post("/api/v1/swarm/costs", report(sid, "edge-2", [4], [9.0], propagation_depth=0))
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "propagation_exhausted"
    assert refused.json()["error"]["field"] == "propagation_depth"
    expected_b = list(b)
    expected_b[4] = 3.5
    x = converged_solution(n1, sid, second.json()["seq"])
    assert np.max(np.abs(x - dense_solution(matrix, expected_b))) < 1e-8
    # Two reports from different nodes were combined at the owner, the first one arriving with one hop spent.
    aggregated = []
    with requests.get(n1.url(f"/api/v1/sessions/{sid}/events"), params={"since": 0}, stream=True, timeout=10) as events:
        for line in events.iter_lines():
            if b"costs_aggregated" in line:
                aggregated.append(json.loads(line))
            if len(aggregated) == 2:
                break
    assert [a["contributing_nodes"] for a in aggregated] == [[1], [2]]
    assert aggregated[0]["propagation_depth"] == 2 and aggregated[0]["source_node"] == "edge-2"
