"""Graceful drain on SIGTERM: final records, WebSocket close 1001, streams end with `shutdown`, exit 0."""
import asyncio
import json
import signal
import threading
import time

import requests
import websockets

from conftest import PLAN_MATRIX_CONSISTENT, Server, wait_for


def test_sigterm_drains_and_exits_zero():
    server = Server()
    sid = server.post("/api/v1/sessions", {"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3]}).json()["session_id"]
    stream_records = []

    def read_stream():
        r = requests.get(server.url(f"/api/v1/sessions/{sid}/events"), stream=True, timeout=40)
        for line in r.iter_lines():
            if line:
                stream_records.append(json.loads(line))

    reader = threading.Thread(target=read_stream)
    reader.start()

    async def scenario():
        async with websockets.connect(server.ws_url) as ws:
            await ws.send(json.dumps({"type": "subscribe", "session_id": sid}))
            assert json.loads(await ws.recv())["type"] == "subscribed"
            wait_for(lambda: server.get("/api/v1/status").json()["streams"] >= 1, timeout=10)
            started = time.time()
            server.proc.send_signal(signal.SIGTERM)
            frames = []
            try:
                while True:
                    frames.append(json.loads(await ws.recv()))
            except websockets.ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == 1001, closed
            assert any(f["type"] == "shutdown" for f in frames), frames
            return time.time() - started

    elapsed = asyncio.run(asyncio.wait_for(scenario(), 40))
    assert server.proc.wait(timeout=35) == 0
    reader.join(timeout=10)
    assert stream_records and stream_records[-1]["type"] == "shutdown", stream_records[-3:]
    assert elapsed < 30
