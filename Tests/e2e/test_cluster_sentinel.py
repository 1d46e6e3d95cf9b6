"""Redis behind Sentinel, under chaos: kill -9 of the Redis master mid-run (Sentinel promotes the replica, the nodes
follow it without a restart), then kill -9 of the solverd node owning the session (the other adopts it). No
acknowledged update may be lost.

Each update adds its own delta to its own entry of b, so the final solution says exactly which updates were applied:
b' = A x. Acknowledged ones must all be there; unconfirmed ones (`update_not_durable` "journaled but only k of n
replicas confirmed": applied, but not promised) and ones whose outcome is unknown may or may not be."""
import signal
import threading
import time

import numpy as np
import requests

from cluster_support import (SentinelGroup, cold_solve, create_session, expected_b, needs_sentinel, owner_of, sparse,
                             start_node, wait_until)

pytestmark = needs_sentinel
LEASE_MS = 1500
SIDE = 50  # 2500 entries: more than the updates this test sends, so each goes to an entry of its own


class Pusher:
    """One update at a time to the session's current owner; update k adds 1 + (k % 10) / 10 to b[k]."""

    def __init__(self, nodes, sid, n):
        self.nodes, self.sid, self.n = nodes, sid, n
        self.acked = {}       # k -> seq
        self.unconfirmed = set()
        self.uncertain = set()  # refused, timed out or cut off: the outcome is not promised either way
        self.sent = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    @staticmethod
    def delta(k):
        return 1.0 + (k % 10) / 10

    def count(self):
        with self.lock:
            return len(self.acked)

    def run(self):
        target = None
        while not self.stop.is_set() and self.sent < self.n:
            target = target if target and target.proc.poll() is None else owner_of(self.nodes, self.sid)
            if target is None:
                time.sleep(0.05)
                continue
            k = self.sent
            self.sent += 1
            body = {"type": "cost_update", "session_id": self.sid,
                    "delta_costs": {"indices": [k], "values": [self.delta(k)]}}
            try:
                r = requests.post(target.url("/api/v1/swarm/costs"), json=body, timeout=5)
            except requests.RequestException:
                r = None
            with self.lock:
                if r is not None and r.status_code == 202:
                    self.acked[k] = r.json()["seq"]
                elif r is not None and "journaled but only" in r.text:
                    self.unconfirmed.add(k)
                else:
                    self.uncertain.add(k)
            if r is None or r.status_code != 202:
                target = None
                time.sleep(0.02)
            time.sleep(0.005)


def applied_updates(node, sid, matrix, b, pushed):
    """The set of pushed updates x reflects, once x has converged so that every entry of A x − b is 0 or its delta."""
    n = matrix["rows"]
    r = node.get(f"/api/v1/sessions/{sid}/solution", timeout=10)
    if r.status_code != 200:
        return None
    change = sparse(matrix) @ np.array(r.json()["x"]) - b
    applied = {k for k in range(n) if abs(change[k] - Pusher.delta(k)) < 1e-6}
    untouched = {k for k in range(n) if abs(change[k]) < 1e-6}
    if len(applied) + len(untouched) != n or not applied <= set(range(pushed)):
        return None
    return applied


def test_sentinel_failover_then_owner_kill_loses_no_acknowledged_update():
    started = time.time()
    group = SentinelGroup()
    nodes = []
    try:
        nodes = [start_node(group, f"s{k}", LEASE_MS, "--wait-replicas", "1", "--wait-timeout-ms", "500") for k in (1, 2)]
        sid, matrix, b = create_session(nodes[0], side=SIDE)
        pusher = Pusher(nodes, sid, matrix["rows"])
        pusher.thread.start()
        wait_until(lambda: pusher.count() >= 30, 15, "updates were not acknowledged")

        # Redis master dies; Sentinel promotes the replica; a supervisor restarts the old master as its replica
        # (until then WAIT 1 cannot be met: updates are applied but unconfirmed, never acknowledged).
        old_master = group.master_port()
        group.master.kill()
        new_master = wait_until(lambda: (p := group.master_port()) != old_master and p, 15, "Sentinel did not fail over")
        assert new_master == group.replica.port
        group.master.start(replica_of=new_master)
        at_failover = pusher.count()
        wait_until(lambda: pusher.count() >= at_failover + 30, 20, "acknowledged updates did not resume after the failover")

        # The solverd node owning the session dies; the other one adopts it.
        owner = owner_of(nodes, sid)
        assert owner is not None
        owner.proc.send_signal(signal.SIGKILL)
        owner.proc.wait()
        survivor = next(n for n in nodes if n is not owner)
        at_kill = pusher.count()
        wait_until(lambda: pusher.count() >= at_kill + 30, 20, "acknowledged updates did not resume on the surviving node")
        pusher.stop.set()
        pusher.thread.join(10)

        assert owner_of(nodes, sid) is survivor
        status = survivor.get(f"/api/v1/sessions/{sid}").json()
        assert status["last_applied_seq"] >= max(pusher.acked.values())
        applied = wait_until(lambda: applied_updates(survivor, sid, matrix, b, pusher.sent), 20,
                             "the solution did not settle on a set of pushed updates")
        lost = set(pusher.acked) - applied
        assert not lost, f"acknowledged updates lost: {sorted(lost)[:20]}"
        assert applied <= set(pusher.acked) | pusher.unconfirmed | pusher.uncertain
        x = np.array(survivor.get(f"/api/v1/sessions/{sid}/solution").json()["x"])
        expected = cold_solve(matrix, expected_b(b, [(k, Pusher.delta(k)) for k in applied]))
        assert np.allclose(x, expected, rtol=1e-7, atol=1e-8)
        print(f"acked {len(pusher.acked)}, unconfirmed {len(pusher.unconfirmed)} "
              f"({len(pusher.unconfirmed & applied)} applied), uncertain {len(pusher.uncertain)} "
              f"({len(pusher.uncertain & applied)} applied), {time.time() - started:.1f} s")
    finally:
        for n in nodes:
            n.stop(signal.SIGKILL, timeout=5)
        group.stop()
    assert time.time() - started < 60
