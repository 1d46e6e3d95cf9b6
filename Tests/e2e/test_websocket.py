"""WebSocket /ws/solver end to end with the `websockets` client and websocat."""
import asyncio
import json
import subprocess

import pytest
import websockets

from conftest import PLAN_MATRIX_CONSISTENT, wait_for


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


async def recv_until(ws, predicate, limit=10000):
    for _ in range(limit):
        message = json.loads(await ws.recv())
        if predicate(message):
            return message
    raise AssertionError("no matching frame")


def test_create_subscribe_update_ack_and_reconverge(server):
    async def scenario():
        async with websockets.connect(server.ws_url) as ws:
            await ws.send(json.dumps({"type": "solve_request", "id": "c1", "matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3]}))
            created = await recv_until(ws, lambda m: m["type"] == "session_created")
            assert created["ref"] == "c1"
            sid = created["session_id"]
            await recv_until(ws, lambda m: m["type"] == "convergence_signal" and m["converged"])
            await ws.send(json.dumps({"type": "cost_update", "id": 7, "session_id": sid,
                                      "delta_costs": {"indices": [0], "values": [1.0]}}))
            ack = await recv_until(ws, lambda m: m["type"] in ("ack", "error"))
            assert ack["type"] == "ack" and ack["ref"] == "7" and ack["session_id"] == sid
            signal = await recv_until(ws, lambda m: m["type"] == "convergence_signal" and m["last_applied_seq"] == ack["seq"])
            assert signal["converged"]
            await ws.send(json.dumps({"type": "verify", "id": "v", "session_id": sid, "probe_count": 2}))
            verification = await recv_until(ws, lambda m: m["type"] == "verification_result" and m.get("ref") == "v")
            assert verification["verified"]
            await ws.send(json.dumps({"type": "ping", "id": "p"}))
            assert (await recv_until(ws, lambda m: m["type"] == "pong"))["ref"] == "p"
            await ws.send(json.dumps({"type": "unsubscribe", "id": "u", "session_id": sid}))
            assert (await recv_until(ws, lambda m: m["type"] == "unsubscribed"))["ref"] == "u"
    run(scenario())


def test_many_connections_watch_one_session(server):
    sid = server.post("/api/v1/sessions", {"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3]}).json()["session_id"]
    wait_for(lambda: server.get(f"/api/v1/status/{sid}").json()["phase"] == "converged")

    async def watcher(ready):
        async with websockets.connect(server.ws_url) as ws:
            await ws.send(json.dumps({"type": "subscribe", "session_id": sid}))
            await recv_until(ws, lambda m: m["type"] == "subscribed")
            ready.release()
            return await recv_until(ws, lambda m: m["type"] == "convergence_signal")

    async def scenario():
        ready = asyncio.Semaphore(0)
        watchers = [asyncio.create_task(watcher(ready)) for _ in range(20)]
        for _ in watchers:
            await ready.acquire()
        r = await asyncio.to_thread(server.post, "/api/v1/swarm/costs",
                                    {"session_id": sid, "delta_costs": {"indices": [1], "values": [0.5]}})
        seq = r.json()["seq"]
        signals = await asyncio.gather(*watchers)
        assert all(s["last_applied_seq"] == seq for s in signals)
    run(scenario())


@pytest.mark.parametrize("frame,code,field", [
    ("{oops", "invalid_json", None),
    ('{"type": "teleport"}', "unknown_type", "type"),
    ('{"id": 1}', "missing_field", "type"),
    ('{"type": "subscribe", "session_id": "missing-session"}', "session_not_found", "session_id"),
    ('{"type": "cost_update", "session_id": 5}', "invalid_type", "session_id"),
    ('[1, 2]', "invalid_type", None),
])
def test_bad_frames_get_error_frames_naming_the_field(server, frame, code, field):
    async def scenario():
        async with websockets.connect(server.ws_url) as ws:
            await ws.send(frame)
            error = json.loads(await ws.recv())
            assert error["type"] == "error" and error["code"] == code, error
            if field:
                assert error.get("field") == field, error
            # The connection stays usable.
            await ws.send('{"type":"ping"}')
            assert json.loads(await ws.recv())["type"] == "pong"
    run(scenario())


def test_binary_frame_closes_with_1003(server):
    async def scenario():
        async with websockets.connect(server.ws_url) as ws:
            await ws.send(b"\x00\x01")
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:
                    await ws.recv()
            assert closed.value.rcvd.code == 1003
    run(scenario())


def test_websocat_subscription_prints_the_sessions_frames(server):
    sid = server.post("/api/v1/sessions", {"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3]}).json()["session_id"]
    wait_for(lambda: server.get(f"/api/v1/status/{sid}").json()["phase"] == "converged")
    message = json.dumps({"type": "subscribe", "session_id": sid, "since_seq": 0})

    proc = subprocess.Popen(["websocat", server.ws_url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    proc.stdin.write(message + "\n")
    proc.stdin.flush()
    frames = []
    for line in proc.stdout:
        frames.append(json.loads(line))
        if frames[-1]["type"] == "convergence_signal":
            break
    proc.kill()
    proc.wait()
    assert frames[0]["type"] == "subscribed"
    assert "iteration_update" in [f["type"] for f in frames]


def test_many_concurrent_clients_create_and_update(server):
    async def client(k):
        async with websockets.connect(server.ws_url) as ws:
            await ws.send(json.dumps({"type": "solve_request", "matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, k]}))
            sid = (await recv_until(ws, lambda m: m["type"] == "session_created"))["session_id"]
            for i in range(10):
                await ws.send(json.dumps({"type": "cost_update", "id": i, "session_id": sid,
                                          "delta_costs": {"indices": [i % 3], "values": [0.1]}}))
            acks = []
            while len(acks) < 10:
                m = json.loads(await ws.recv())
                if m["type"] == "ack":
                    acks.append(m["seq"])
            assert acks == sorted(acks)
            return sid

    async def scenario():
        return await asyncio.gather(*[client(k) for k in range(50)])
    sids = run(scenario())
    assert len(set(sids)) == 50
