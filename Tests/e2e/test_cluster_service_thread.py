"""Cluster mode never holds the service thread on Redis: while the store is frozen (SIGSTOP), updates wait for their
journal append off the service thread, so health checks, pings and other sessions' traffic keep being answered; the
waiting updates end with a clear `update_not_durable` error, never a hang."""
import asyncio
import json
import signal
import threading
import time

import websockets

from cluster_support import RedisServer, needs_redis, start_node
from conftest import laplacian_csr

pytestmark = needs_redis


def test_frozen_store_does_not_freeze_the_service_thread():
    redis = RedisServer()
    node = start_node(redis, "solo", 3000)
    try:
        matrix = laplacian_csr(6)
        sid = node.post("/api/v1/sessions", {"matrix": matrix, "vector": [1.0] * matrix["rows"]}).json()["session_id"]
        update = {"type": "cost_update", "session_id": sid, "delta_costs": {"indices": [0], "values": [0.5]}}
        redis.proc.send_signal(signal.SIGSTOP)
        try:
            http_result = {}
            posting = threading.Thread(target=lambda: http_result.update(r=node.post("/api/v1/swarm/costs", update, timeout=15)))

            async def scenario():
                async with websockets.connect(node.ws_url) as ws:
                    await ws.send(json.dumps({**update, "id": "u"}))
                    posting.start()
                    await asyncio.sleep(0.05)
                    # Both updates now wait for Redis; the service thread still answers at once.
                    for _ in range(5):
                        t0 = time.time()
                        health = await asyncio.to_thread(node.get, "/health", timeout=5)
                        assert health.status_code == 200 and time.time() - t0 < 0.5
                        t0 = time.time()
                        await ws.send(json.dumps({"type": "ping", "id": "p"}))
                        pong = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                        assert pong["type"] == "pong" and time.time() - t0 < 0.5
                    reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    assert reply["ref"] == "u" and reply["type"] == "error" and reply["code"] == "update_not_durable", reply
            asyncio.run(scenario())
            posting.join(15)
            assert http_result["r"].status_code == 503 and http_result["r"].json()["error"]["code"] == "update_not_durable"
        finally:
            redis.proc.send_signal(signal.SIGCONT)
    finally:
        node.stop(signal.SIGKILL, timeout=5)
        redis.stop()
