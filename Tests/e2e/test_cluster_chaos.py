"""Cluster chaos (issue 13, "a node that never stalls"): Redis paused (DEBUG SLEEP 0.5 s, SIGSTOP 0.7 s) or
restarted, and the owner node killed with SIGKILL, while real clients ping, poll and push over loopback sockets.

While Redis stalls, the node keeps answering WebSocket pings, /health and status polls of the very session whose
updates wait for Redis. Every update is answered (an ack, or a clear error frame such as `update_not_durable`;
silence is a failure), and nothing acknowledged is lost: the session's last_applied_seq reaches the largest acked
seq and x equals a cold solve with exactly the acknowledged deltas added to b. An update whose outcome the client
cannot know (in flight when Redis or the owner died) may be in x or not. The limits are generous for CI;
`make bench-cluster` measures the real figures (targets of 5 ms).
"""
import asyncio
import itertools
import json
import signal
import time

import numpy as np
import pytest
import requests
import websockets

from cluster_support import (Poller, RedisServer, cold_solve, create_session, expected_b, needs_redis, owner_of,
                             start_node, wait_applied)
from conftest import wait_for

pytestmark = needs_redis
LIMIT = 0.25      # s: the slowest answer allowed while Redis stalls
ANSWER_WAIT = 10  # s: how long updates may stay unanswered at the end before they count as silent
PAUSES = {"debug_sleep": 0.5, "sigstop": 0.7}


class Pusher:
    """Pushes cost_updates to one session over WebSocket, one every `interval` s with at most `window` unanswered,
    to the first live node of `nodes` (reconnecting to the next live one when its connection drops). Updates are
    (row, value); `acked` holds (row, value, seq), `refused` (row, value, code); `in_doubt` the updates whose outcome
    is unknown: unanswered when their connection died and, with window 1, the first refused one of each run of
    refusals (Redis may have journaled it and died before answering); `silent` those never answered on a live
    connection."""

    def __init__(self, nodes, sid, rows, window, interval=0.01):
        self.nodes, self.sid, self.rows, self.window, self.interval = nodes, sid, rows, window, interval
        self.acked, self.refused, self.in_doubt, self.silent = [], [], [], []
        self.pending = {}
        self.rng = np.random.default_rng(13)
        self.sent = 0
        self.refusing = False

    async def run(self, stop):
        while True:
            node = next((n for n in self.nodes if n.proc.poll() is None), None)
            if node is None:
                return
            try:
                async with websockets.connect(node.ws_url) as ws:
                    reader = asyncio.create_task(self._read(ws))
                    await self._send_until(ws, stop, reader)
                    deadline = time.time() + ANSWER_WAIT
                    while self.pending and not reader.done() and time.time() < deadline:
                        await asyncio.sleep(0.01)
                    if not reader.done():
                        self.silent += self.pending.values()
                        self.pending.clear()
                    reader.cancel()
            except (OSError, websockets.ConnectionClosed):
                pass
            self.in_doubt += self.pending.values()
            self.pending.clear()
            if stop.is_set():
                return
            await asyncio.sleep(0.05)

    async def _send_until(self, ws, stop, reader):
        while not stop.is_set() and not reader.done():
            if len(self.pending) < self.window:
                self.sent += 1
                ref, row, value = f"u{self.sent}", int(self.rng.integers(self.rows)), float(self.rng.normal())
                self.pending[ref] = (row, value)
                await ws.send(json.dumps({"type": "cost_update", "id": ref, "session_id": self.sid,
                                          "delta_costs": {"indices": [row], "values": [value]}}))
            await asyncio.sleep(self.interval)

    async def _read(self, ws):
        try:
            async for text in ws:
                self._answer(json.loads(text))
        except websockets.ConnectionClosed:
            pass

    def _answer(self, message):
        update = self.pending.pop(message.get("ref"), None)
        if update is None:
            return
        if message["type"] == "ack":
            self.acked.append((*update, message["seq"]))
        else:
            self.refused.append((*update, message.get("code")))
            if self.window == 1 and not self.refusing:
                self.in_doubt.append(update)
        self.refusing = message["type"] != "ack"


async def ping_every(url, stop, interval=0.005):
    """Pings on its own connection every `interval` s until `stop`; returns (round-trip times in s, pings never
    answered within 1 s of the last)."""
    sent, rtts = {}, []
    async with websockets.connect(url) as ws:
        async def read():
            async for text in ws:
                message = json.loads(text)
                if message.get("type") == "pong" and message.get("ref") in sent:
                    rtts.append(time.perf_counter() - sent.pop(message["ref"]))
        reader = asyncio.create_task(read())
        k = 0
        while not stop.is_set():
            k += 1
            sent[f"p{k}"] = time.perf_counter()
            await ws.send(json.dumps({"type": "ping", "id": f"p{k}"}))
            await asyncio.sleep(interval)
        await eventually(lambda: not sent, 1)
        reader.cancel()
    return rtts, len(sent)


async def eventually(predicate, timeout):
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def nothing_lost(node, sid, matrix, b, pusher):
    """Problems found (none: every acknowledged update is in the session on `node`): last_applied_seq reaches the
    largest acked seq, and x is the cold solve with the acked deltas plus some subset of the in-doubt ones."""
    if not pusher.acked:
        return ["no update was acknowledged"]
    last = max(seq for *_, seq in pusher.acked)
    if not wait_applied(node, sid, last):
        return [f"last_applied_seq never reached the largest acked seq {last}"]
    if len(pusher.in_doubt) > 3:
        return [f"{len(pusher.in_doubt)} updates of unknown outcome (expected at most 3)"]
    acked = [(row, value) for row, value, _ in pusher.acked]
    candidates = [cold_solve(matrix, expected_b(b, acked + list(extra)))
                  for k in range(len(pusher.in_doubt) + 1) for extra in itertools.combinations(pusher.in_doubt, k)]

    def matches():
        r = requests.get(node.url(f"/api/v1/sessions/{sid}/solution"), timeout=5)
        return r.status_code == 200 and any(np.allclose(r.json()["x"], c, rtol=1e-7, atol=1e-8) for c in candidates)
    if not wait_for(matches, timeout=20, interval=0.1):
        return [f"x is not the cold solve with the {len(acked)} acknowledged deltas "
                f"(+ any of {len(pusher.in_doubt)} in doubt)"]
    return []


def stall_redis(redis, how):
    """Stops Redis answering for PAUSES[how] s; returns the stall's (start, end) wall-clock times."""
    if how == "debug_sleep":
        return redis.debug_sleep(PAUSES[how])
    start = time.time()
    redis.proc.send_signal(signal.SIGSTOP)
    try:
        time.sleep(PAUSES[how])
    finally:
        redis.proc.send_signal(signal.SIGCONT)
    return start, time.time()


def slowest(name, samples):
    """Problems of a poller's samples: any answer slower than LIMIT or not 200."""
    worst = max(seconds for _, seconds, *_ in samples)
    bad = sum(status != 200 for _, _, status, _ in samples)
    return [f"{name}: slowest of {len(samples)} answers {worst * 1000:.0f} ms (limit {LIMIT * 1000:.0f}), "
            f"{bad} not 200"] if worst >= LIMIT or bad else []


def answered(pusher, codes=None):
    """Problems of the pusher's answers: silence, or refusals with a code outside `codes` (None: any code)."""
    other = {code for *_, code in pusher.refused} - set(codes) if codes is not None else set()
    return ([f"{len(pusher.silent)} of {pusher.sent} updates never answered"] if pusher.silent else []) + \
           ([f"updates refused with {sorted(other)}"] if other else [])


@pytest.mark.parametrize("how", list(PAUSES))
def test_node_answers_while_redis_stalls(how):
    redis = RedisServer(debug_command=True)
    node = start_node(redis, "chaos", 3000)
    try:
        sid, matrix, b = create_session(node)
        pollers = {"/health": Poller(node.port, "/health"), "status": Poller(node.port, f"/api/v1/status/{sid}")}
        pusher = Pusher([node], sid, matrix["rows"], window=100)

        async def scenario():
            stop = asyncio.Event()
            pings = asyncio.create_task(ping_every(node.ws_url, stop))
            pushes = asyncio.create_task(pusher.run(stop))
            await asyncio.sleep(0.5)
            await asyncio.to_thread(stall_redis, redis, how)
            await asyncio.sleep(0.5)
            stop.set()
            await pushes
            return await pings
        rtts, lost = asyncio.run(asyncio.wait_for(scenario(), 40))
        problems = [p for name, poller in pollers.items() for p in slowest(name, poller.stop())]
        if max(rtts) >= LIMIT or lost:
            problems.append(f"ping: slowest of {len(rtts)} {max(rtts) * 1000:.0f} ms, {lost} unanswered")
        problems += answered(pusher, ["update_not_durable"])
        problems += nothing_lost(node, sid, matrix, b, pusher)
        assert not problems, problems
    finally:
        redis.proc.send_signal(signal.SIGCONT)
        node.stop(signal.SIGKILL, timeout=5)
        redis.stop()


def test_acked_updates_survive_a_redis_restart():
    redis = RedisServer()
    node = start_node(redis, "chaos", 3000)
    try:
        sid, matrix, b = create_session(node)
        pusher = Pusher([node], sid, matrix["rows"], window=1)

        async def scenario():
            stop = asyncio.Event()
            pushes = asyncio.create_task(pusher.run(stop))
            assert await eventually(lambda: len(pusher.acked) >= 20, 10), "updates were not acknowledged"
            await asyncio.to_thread(redis.stop)
            await asyncio.sleep(0.5)
            acked_before = len(pusher.acked)
            await asyncio.to_thread(redis.start)
            restarted = time.time()
            resumed = await eventually(lambda: len(pusher.acked) >= acked_before + 20, 10)
            stop.set()
            await pushes
            return resumed and time.time() - restarted
        resumed_after = asyncio.run(asyncio.wait_for(scenario(), 60))
        assert resumed_after and resumed_after < 5, "pushes were not acknowledged again within 5 s of the restart"
        assert pusher.refused, "no update was refused while Redis was down"
        problems = answered(pusher, ["update_not_durable"]) + nothing_lost(node, sid, matrix, b, pusher)
        assert not problems, problems
    finally:
        node.stop(signal.SIGKILL, timeout=5)
        redis.stop()


def test_kill9_owner_keeps_every_acked_update():
    redis = RedisServer()
    nodes = [start_node(redis, f"chaos{k}", 1000) for k in (1, 2)]
    try:
        sid, matrix, b = create_session(nodes[0])
        pusher = Pusher(nodes, sid, matrix["rows"], window=1)

        async def scenario():
            stop = asyncio.Event()
            pushes = asyncio.create_task(pusher.run(stop))
            assert await eventually(lambda: len(pusher.acked) >= 50, 15), "updates were not acknowledged"
            nodes[0].proc.send_signal(signal.SIGKILL)
            nodes[0].proc.wait()
            acked_at_kill = len(pusher.acked)
            resumed = await eventually(lambda: len(pusher.acked) >= acked_at_kill + 50, 20)
            stop.set()
            await pushes
            return resumed
        assert asyncio.run(asyncio.wait_for(scenario(), 60)), "updates did not resume on the surviving node"
        assert owner_of(nodes, sid) is nodes[1]
        problems = answered(pusher) + nothing_lost(nodes[1], sid, matrix, b, pusher)
        assert not problems, problems
    finally:
        for n in nodes:
            n.stop(signal.SIGKILL, timeout=5)
        redis.stop()
