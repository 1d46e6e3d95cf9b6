"""Subscribers that stop reading are dropped (subscription ended for slow_consumer) while another subscriber keeps
receiving, and the server's memory stays bounded (a connection's event outbox is capped). A dropped subscriber that
still reads gets the 1008 close frame; one that had stopped reading is reset at once (a close frame would wait behind
the megabytes the kernel still holds for it), so a stalled socket that starts reading learns within the 5 s read
window that it was dropped. make bench-slow runs the same with 1,000 of them."""
import os
import sys
import time

from conftest import ROOT, laplacian_csr

sys.path.insert(0, str(ROOT + "/bench"))
from ws_raw import RawSubscriber  # noqa: E402

SANITIZED = any(os.environ.get(name) for name in ("ASAN_OPTIONS", "TSAN_OPTIONS"))


def rss(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def test_stalled_subscribers_are_dropped_and_others_keep_up(fresh_server):
    server = fresh_server
    sid = server.post("/api/v1/sessions", {"matrix": laplacian_csr(32), "vector": [1.0] * 1024}).json()["session_id"]
    stalled = [RawSubscriber(server.port) for _ in range(20)]
    for s in stalled:
        s.send_text('{"type":"subscribe","session_id":"%s"}' % sid)  # then never read again
    fast = RawSubscriber(server.port, rcvbuf=1 << 20)
    fast.send_text('{"type":"subscribe","session_id":"%s"}' % sid)
    updater = RawSubscriber(server.port, rcvbuf=1 << 20)
    before = rss(server.proc.pid)
    deadline, k, fast_bytes, left = time.time() + 40, 0, [], None
    while time.time() < deadline:
        k += 1
        updater.send_text('{"type":"cost_update","session_id":"%s","delta_costs":{"indices":[%d],"values":[0.01]}}'
                          % (sid, k % 1024))
        updater.drain()
        fast.drain()
        fast_bytes.append(fast.received_bytes)
        time.sleep(0.02)
        if k % 50 == 0:
            left = server.get(f"/api/v1/sessions/{sid}").json().get("subscribers")
            if left == 1:
                break  # only the fast subscriber is left (the stalled sockets are read only below)
    grown = rss(server.proc.pid) - before
    deadline = time.time() + 5  # the stalled sockets now read what waited, all together
    while time.time() < deadline and not all(s.close_code is not None or s.eof for s in stalled):
        for s in stalled:
            if s.close_code is None and not s.eof:
                s.drain()
        time.sleep(0.02)
    assert left == 1, f"{left} subscribers left; the stalled ones were not dropped"
    assert {s.close_reason for s in stalled if s.close_code} <= {"slow consumer: events were not read"}
    assert fast.close_code is None and fast_bytes[-1] > fast_bytes[len(fast_bytes) // 2] > 0
    if not SANITIZED:  # ASan's quarantine and shadow memory make RSS meaningless there
        assert grown < 50e6, f"RSS grew by {grown / 1e6:.1f} MB"
    ends = [(s.close_code, s.reset) for s in stalled]
    assert all(code == 1008 or reset for code, reset in ends), f"stalled sockets not told they were dropped: {ends}"
