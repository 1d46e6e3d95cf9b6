"""Chunked request bodies (issue 14, part 4): POST/PUT/PATCH without content-length but with
`Transfer-Encoding: chunked`, as curl, Python requests (generator bodies) and http.client send them. The body limit
applies while the body streams in; malformed framing is 400; a request with neither a length nor chunked framing is
still 411; the connection stays usable after a chunked request."""
import http.client
import json
import socket
import subprocess
import time

import pytest
import requests

from conftest import PLAN_MATRIX_CONSISTENT, Server, laplacian_csr

SESSION = {"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3]}


@pytest.fixture(scope="module")
def small_limit_server():
    s = Server("--max-body-bytes", "4096")
    yield s
    s.stop()


def curl_chunked(url, path):
    """POSTs the file with curl's chunked upload; returns (status, body, verbose log)."""
    done = subprocess.run(["curl", "-sS", "-v", "-H", "Transfer-Encoding: chunked", "-H", "content-type: application/json",
                           "--data-binary", f"@{path}", "-w", "\n%{http_code}", url],
                          capture_output=True, text=True, timeout=30)
    body, _, status = done.stdout.rpartition("\n")
    return int(status), body, done.stderr


def read_response(sock):
    """One HTTP/1.1 response with a content-length from a raw socket: (status, headers, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        assert piece, f"connection closed before a response: {data!r}"
        data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers["content-length"])
    while len(rest) < length:
        piece = sock.recv(65536)
        assert piece
        rest += piece
    return int(lines[0].split()[1]), headers, rest[:length]


def closed_by_peer(sock, timeout=5):
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def raw(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return sock


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def test_curl_chunked_creates_a_session_and_posts_a_cost_update(server, tmp_path):
    session_file = tmp_path / "session.json"
    session_file.write_text(json.dumps(SESSION))
    status, body, log = curl_chunked(server.url("/api/v1/sessions"), session_file)
    assert "Transfer-Encoding: chunked" in log and "Content-Length" not in log
    if "Expect: 100-continue" in log:
        assert "HTTP/1.1 100 Continue" in log, log  # answered at once, not after curl's 1 s wait
    assert status == 201, body
    sid = json.loads(body)["session_id"]

    update_file = tmp_path / "update.json"
    update_file.write_text(json.dumps({"session_id": sid, "delta_costs": {"indices": [0], "values": [1.0]},
                                       "source_node": "curl-node"}))
    status, body, log = curl_chunked(server.url("/api/v1/swarm/costs"), update_file)
    assert "Transfer-Encoding: chunked" in log
    assert status == 202, body
    assert json.loads(body)["session_id"] == sid


def test_requests_generator_body_is_read_whole(server):
    payload = json.dumps({"matrix": laplacian_csr(30), "vector": [1.0] * 900}).encode()
    pieces = [payload[i:i + 1000] for i in range(0, len(payload), 1000)]
    r = requests.post(server.url("/api/v1/sessions"), data=iter(pieces),
                      headers={"content-type": "application/json"}, timeout=30)
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    assert r.status_code == 201, r.text
    sid = r.json()["session_id"]
    assert server.get(f"/api/v1/sessions/{sid}").json()["rows"] == 900


def test_keep_alive_survives_a_chunked_request(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    body = json.dumps(SESSION).encode()
    conn.request("POST", "/api/v1/sessions", body=iter([body[:10], body[10:]]), encode_chunked=True,
                 headers={"content-type": "application/json"})
    first = conn.getresponse()
    created = json.loads(first.read())
    assert first.status == 201 and first.getheader("connection") != "close"
    sock = conn.sock
    conn.request("GET", f"/api/v1/sessions/{created['session_id']}")
    second = conn.getresponse()
    assert second.status == 200 and json.loads(second.read())["session_id"] == created["session_id"]
    assert conn.sock is sock, "the second request needed a new connection"
    conn.close()


def test_trailers_and_extensions_on_a_raw_connection_then_a_second_request(server):
    body = json.dumps(SESSION).encode()
    with raw(server) as sock:
        sock.sendall(b"POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n"
                     + b"%x;part=1\r\n%s\r\n" % (8, body[:8]) + chunk(body[8:]) + b"0\r\nX-Checksum: none\r\n\r\n")
        status, headers, answer = read_response(sock)
        assert status == 201, answer
        assert headers.get("connection") != "close"
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, _, _ = read_response(sock)
        assert status == 200


def test_chunked_body_over_the_limit_is_refused_while_streaming(small_limit_server):
    with raw(small_limit_server) as sock:
        sock.sendall(b"POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        for _ in range(6):  # 6 KiB, over the 4 KiB limit; the body never ends
            sock.sendall(chunk(b" " * 1024))
            time.sleep(0.01)
        status, headers, answer = read_response(sock)
        assert status == 413
        assert headers["content-type"] == "application/json"
        assert json.loads(answer)["error"]["code"] == "payload_too_large"
        assert headers.get("connection") == "close"
        assert closed_by_peer(sock)


def test_chunked_body_within_the_limit_still_passes(small_limit_server):
    body = json.dumps(SESSION).encode()
    r = requests.post(small_limit_server.url("/api/v1/sessions"), data=iter([body]),
                      headers={"content-type": "application/json"}, timeout=30)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("framing", [
    b"zz\r\nhello\r\n0\r\n\r\n",            # not a hex size
    b"5\r\nhelloXX0\r\n\r\n",               # no CRLF after the data
    b"5\nhello\r\n0\r\n\r\n",               # bare LF after the size
    b"5 junk\r\nhello\r\n0\r\n\r\n",        # garbage after the size
    b"0\r\nno colon here\r\n\r\n",          # a trailer that is not a field
])
def test_malformed_chunk_framing_gets_400(server, framing):
    with raw(server) as sock:
        sock.sendall(b"POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n" + framing)
        status, headers, answer = read_response(sock)
        assert status == 400, answer
        error = json.loads(answer)["error"]
        assert error["code"] == "malformed_request" and "chunked" in error["message"]
        assert closed_by_peer(sock)


@pytest.mark.parametrize("head, status, code", [
    # HTTP/1.0 cannot announce a chunked body: without a length the body could only end with the connection.
    (b"POST /api/v1/sessions HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\r\n", 411, "length_required"),
    (b"PUT /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 411, "length_required"),
    (b"POST /api/v1/sessions HTTP/1.0\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "malformed_request"),
    (b"POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400,
     "malformed_request"),
    (b"POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400, "malformed_request"),
    (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "malformed_request"),
])
def test_framing_refusals(server, head, status, code):
    with raw(server) as sock:
        sock.sendall(head)
        got, _, answer = read_response(sock)
        assert got == status, answer
        assert json.loads(answer)["error"]["code"] == code
        assert closed_by_peer(sock)


def test_a_request_pipelined_behind_a_chunked_body_ends_the_connection(server):
    """lws hands the bytes after the terminal chunk to the body callback and cannot take them back: the chunked
    request is answered and the connection closed (the client retries the pipelined request, as HTTP/1.1 allows)."""
    body = json.dumps(SESSION).encode()
    with raw(server) as sock:
        sock.sendall(b"POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n"
                     + chunk(body) + b"0\r\n\r\nGET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, headers, _ = read_response(sock)
        assert status == 201 and headers.get("connection") == "close"
        assert closed_by_peer(sock)
