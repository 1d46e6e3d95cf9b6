"""Compression: gzip response bodies when the client offers them, permessage-deflate on the WebSocket."""
import asyncio
import gzip
import json

import requests
import websockets

from conftest import laplacian_csr, wait_for


def test_large_json_bodies_are_gzipped_when_accepted(server):
    matrix = laplacian_csr(30)
    sid = server.post("/api/v1/sessions", {"matrix": matrix, "vector": [1.0] * 900}).json()["session_id"]
    wait_for(lambda: server.get(f"/api/v1/status/{sid}").json()["phase"] == "converged")
    raw = requests.get(server.url(f"/api/v1/sessions/{sid}/solution"), headers={"accept-encoding": "gzip"},
                       stream=True, timeout=10).raw
    assert raw.headers["content-encoding"] == "gzip"
    body = json.loads(gzip.decompress(raw.read(decode_content=False)))
    assert len(body["x"]) == 900
    plain = requests.get(server.url(f"/api/v1/sessions/{sid}/solution"), headers={"accept-encoding": "identity"}, timeout=10)
    assert "content-encoding" not in plain.headers
    assert plain.json()["x"] == body["x"]
    small = requests.get(server.url("/health"), headers={"accept-encoding": "gzip"}, timeout=10)
    assert "content-encoding" not in small.headers  # not worth compressing


def test_websocket_negotiates_permessage_deflate(server):
    async def scenario():
        async with websockets.connect(server.ws_url, compression="deflate") as ws:
            assert "permessage-deflate" in ws.response.headers.get("sec-websocket-extensions", "")
            await ws.send(json.dumps({"type": "ping", "id": "z"}))
            assert json.loads(await ws.recv())["ref"] == "z"
    asyncio.run(asyncio.wait_for(scenario(), 20))
