"""`solverd serve --echo-endpoint`: the test-only WebSocket echo at /ws/echo used by `make conformance`."""
import asyncio
import json

import pytest
import websockets

from conftest import Server


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


@pytest.fixture(scope="module")
def echo_server():
    s = Server("--echo-endpoint")
    yield s
    s.stop()


def test_echo_is_off_by_default(server):
    async def main():
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/echo"):
                pass
        assert refused.value.response.status_code == 404
    run(main())


def test_echo_endpoint_echoes_text_binary_and_16_mib(echo_server):
    async def main():
        async with websockets.connect(f"ws://127.0.0.1:{echo_server.port}/ws/echo", max_size=None) as ws:
            await ws.send("héllo")
            assert await ws.recv() == "héllo"
            await ws.send(b"\x00\x01\xff")
            assert await ws.recv() == b"\x00\x01\xff"
            big = b"x" * (16 * 1024 * 1024)  # Autobahn 9.1.6 / 9.2.6: 16 MiB messages echoed whole
            await ws.send(big)
            assert await ws.recv() == big
    run(main())


def test_solver_endpoint_unchanged_next_to_echo(echo_server):
    async def main():
        async with websockets.connect(echo_server.ws_url) as ws:
            await ws.send(json.dumps({"type": "ping", "id": "p"}))
            reply = json.loads(await ws.recv())
            assert reply["type"] == "pong" and reply.get("ref") == "p"
    run(main())


def test_wss_keeps_libwebsockets_reading_and_still_echoes_and_pongs(tmp_path):
    """Over TLS lws reads WebSocket input (the transport reads it itself only on plain TCP): echoes, a ping's pong, a
    message larger than one TLS record, and compression all still work."""
    import ssl
    import subprocess
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    s = Server("--echo-endpoint", "--tls-cert", str(cert), "--tls-key", str(key))
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False

    async def main():
        for compression in ("deflate", None):
            async with websockets.connect(f"wss://127.0.0.1:{s.port}/ws/echo", ssl=context, max_size=None,
                                          compression=compression) as ws:
                for index in range(10):
                    await ws.send(f"hello {index}")
                    assert await ws.recv() == f"hello {index}"
                await asyncio.wait_for(await ws.ping(b"are you there"), 5)
                big = "y" * 300_000
                await ws.send(big)
                assert await ws.recv() == big
    try:
        run(main())
    finally:
        s.stop()
