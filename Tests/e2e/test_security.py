"""Authentication and authorization end to end: static tokens, JWTs (HS256, ES256), session ownership and sharing."""
import asyncio
import hashlib
import json
import signal
import time

import jwt
import pytest
import websockets
import websockets.exceptions
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cluster_support import RedisServer, needs_redis
from conftest import PLAN_MATRIX_CONSISTENT, Server, wait_for

SECRET = "an-hs256-secret-for-the-e2e-tests-0123456789"
ES_KEY = ec.generate_private_key(ec.SECP256R1())
ES_PUBLIC_PEM = ES_KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode()
TOKENS = {"alice": "alice-static-token", "bob": "bob-static-token", "root": "root-static-token"}


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def auth_config(extra=""):
    indent_pem = "\n".join("          " + line for line in ES_PUBLIC_PEM.strip().splitlines())
    return f"""
auth:
  tokens:
    - {{principal: alice, sha256: {sha(TOKENS['alice'])}}}
    - {{principal: bob, sha256: {sha(TOKENS['bob'])}}}
    - {{principal: root, sha256: {sha(TOKENS['root'])}, roles: [admin]}}
  jwt:
    hs256_secret: "{SECRET}"
    public_keys:
      - algorithm: ES256
        pem: |
{indent_pem}
    issuer: https://issuer.example
    audience: solverd
    clock_skew_seconds: 5
{extra}"""


def mint(sub="carol", alg="HS256", **claims):
    now = int(time.time())
    payload = {"sub": sub, "iss": "https://issuer.example", "aud": "solverd", "iat": now, "exp": now + 300, **claims}
    key = SECRET if alg == "HS256" else ES_KEY
    return jwt.encode(payload, key, algorithm=alg)


def bearer(token):
    return {"authorization": f"Bearer {token}"}


SOLVE = {"type": "solve_request", "matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3]}


@pytest.fixture(scope="module")
def secured():
    s = Server(config=auth_config())
    yield s
    s.stop()


def create(server, who, **extra):
    r = server.post("/api/v1/sessions", {**SOLVE, **extra}, headers=bearer(TOKENS.get(who, who)))
    assert r.status_code == 201, r.text
    return r.json()["session_id"]


@pytest.mark.parametrize("headers,reason", [
    ({}, "missing"),
    ({"authorization": "Basic YWxpY2U6eA=="}, "malformed"),
    ({"authorization": "Bearer"}, "malformed"),
    (bearer("not-a-known-token"), "wrong token"),
    (bearer(mint(exp=int(time.time()) - 120)), "expired"),
    (bearer(mint(aud="someone-else")), "wrong audience"),
    (bearer(mint(iss="https://evil.example")), "wrong issuer"),
    (bearer(mint(nbf=int(time.time()) + 600)), "not yet valid"),
    (bearer(jwt.encode({"sub": "x", "aud": "solverd", "iss": "https://issuer.example", "exp": int(time.time()) + 60},
                       "a-different-secret-that-is-long-enough!!", algorithm="HS256")), "bad signature"),
])
def test_requests_without_valid_credentials_get_401(secured, headers, reason):
    r = secured.get("/api/v1/sessions", headers=headers)
    assert r.status_code == 401, reason
    assert r.headers["www-authenticate"].startswith("Bearer realm=\"solverd\"")
    assert r.json()["error"]["code"] == "unauthorized"
    # No secret is echoed back.
    assert "static-token" not in r.text and SECRET not in r.text


def test_health_and_metrics_need_no_credentials(secured):
    assert secured.get("/health").status_code == 200
    assert secured.get("/metrics").status_code == 200


@pytest.mark.parametrize("token", [TOKENS["alice"], mint(sub="alice"), mint(sub="alice", alg="ES256")])
def test_static_tokens_and_jwts_authenticate(secured, token):
    r = secured.get("/api/v1/sessions", headers=bearer(token))
    assert r.status_code == 200


def test_another_principals_session_is_forbidden(secured):
    sid = create(secured, "alice")
    assert secured.get(f"/api/v1/sessions/{sid}", headers=bearer(TOKENS["alice"])).json()["owner"] == "alice"
    bob = bearer(TOKENS["bob"])
    for path in (f"/api/v1/sessions/{sid}", f"/api/v1/sessions/{sid}/solution", f"/api/v1/status/{sid}",
                 f"/api/v1/sessions/{sid}/events"):
        r = secured.get(path, headers=bob)
        assert r.status_code == 403, path
        assert r.json()["error"]["code"] == "forbidden"
    assert secured.post("/api/v1/verify", {"session_id": sid}, headers=bob).status_code == 403
    assert secured.post("/api/v1/swarm/costs", {"session_id": sid, "delta_costs": {"indices": [0], "values": [1]}},
                        headers=bob).status_code == 403
    assert requests_delete(secured, sid, bob).status_code == 403
    listed = secured.get("/api/v1/sessions", headers=bob).json()["sessions"]
    assert sid not in [s["session_id"] for s in listed]
    assert requests_delete(secured, sid, bearer(TOKENS["alice"])).status_code == 200


def requests_delete(server, sid, headers):
    import requests
    return requests.delete(server.url(f"/api/v1/sessions/{sid}"), headers=headers, timeout=10)


def test_shared_sessions_and_admins_are_allowed(secured):
    sid = create(secured, "alice", share=["bob", "carol"])
    assert secured.get(f"/api/v1/sessions/{sid}", headers=bearer(TOKENS["bob"])).status_code == 200
    assert secured.get(f"/api/v1/sessions/{sid}/solution", headers=bearer(mint(sub="carol"))).status_code == 200
    assert secured.get(f"/api/v1/sessions/{sid}", headers=bearer(mint(sub="dave"))).status_code == 403
    # Admin by role (static token) and by JWT roles claim.
    assert secured.get(f"/api/v1/sessions/{sid}", headers=bearer(TOKENS["root"])).status_code == 200
    assert secured.get(f"/api/v1/sessions/{sid}", headers=bearer(mint(sub="eve", roles=["admin"]))).status_code == 200
    bad = secured.post("/api/v1/sessions", {**SOLVE, "share": "bob"}, headers=bearer(TOKENS["alice"]))
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "share"


def test_websocket_upgrade_without_credentials_is_refused_with_401(secured):
    async def run():
        with pytest.raises(websockets.exceptions.InvalidStatus) as info:
            async with websockets.connect(secured.ws_url):
                pass
        assert info.value.response.status_code == 401
        with pytest.raises(websockets.exceptions.InvalidStatus) as info:
            async with websockets.connect(secured.ws_url, additional_headers=bearer("wrong")):
                pass
        assert info.value.response.status_code == 401
    asyncio.run(run())


@pytest.mark.parametrize("how", ["header", "query", "subprotocol"])
def test_websocket_credentials_header_query_and_subprotocol(secured, how):
    sid = create(secured, "alice")
    token = TOKENS["alice"]

    async def run():
        kwargs, url = {}, secured.ws_url
        if how == "header":
            kwargs["additional_headers"] = bearer(token)
        elif how == "query":
            url += f"?access_token={token}"
        else:
            kwargs["subprotocols"] = ["solverd", f"bearer.{token}"]
        async with websockets.connect(url, **kwargs) as ws:
            if how == "subprotocol":
                assert ws.subprotocol == "solverd"
            await ws.send(json.dumps({"type": "subscribe", "session_id": sid, "ref": "s"}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert reply["type"] == "subscribed", reply
    asyncio.run(run())


def test_websocket_messages_on_foreign_sessions_are_forbidden(secured):
    sid = create(secured, "alice")

    async def run():
        async with websockets.connect(secured.ws_url, additional_headers=bearer(TOKENS["bob"])) as ws:
            for message in ({"type": "subscribe", "session_id": sid},
                            {"type": "cost_update", "session_id": sid, "delta_costs": {"indices": [0], "values": [1]}},
                            {"type": "verify", "session_id": sid}):
                await ws.send(json.dumps({**message, "ref": "x"}))
                reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert reply["type"] == "error" and reply["code"] == "forbidden", reply
    asyncio.run(run())


def test_open_mode_lets_everyone_do_everything(server):
    r = server.post("/api/v1/sessions", SOLVE)
    assert r.status_code == 201
    assert server.get(f"/api/v1/sessions/{r.json()['session_id']}").status_code == 200


@needs_redis
def test_shares_follow_a_session_across_nodes_and_failover():
    """The share list travels with the session (its snapshots): bob, shared, may update through another node and
    still may after the owner died; dave may not."""
    redis = RedisServer()
    nodes = [Server("--cluster", redis.url, "--node-id", f"a{k}", "--lease-ms", "1000", config=auth_config()) for k in (1, 2)]
    update = {"session_id": None, "delta_costs": {"indices": [0], "values": [1.0]}}
    try:
        sid = create(nodes[0], "alice", share=["bob"])
        update["session_id"] = sid
        forwarded = nodes[1].post("/api/v1/swarm/costs", update, headers=bearer(TOKENS["bob"]))
        assert forwarded.status_code == 202, forwarded.text
        refused = nodes[1].post("/api/v1/swarm/costs", update, headers=bearer(mint(sub="dave")))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
        # An admin's role travels with the forwarded update.
        assert nodes[1].post("/api/v1/swarm/costs", update, headers=bearer(TOKENS["root"])).status_code == 202
        # Only admins see the sessions held elsewhere in the list (their access rules live with their owners).
        assert "remote" not in nodes[1].get("/api/v1/sessions", headers=bearer(TOKENS["bob"])).json()
        listed = nodes[1].get("/api/v1/sessions", headers=bearer(TOKENS["root"])).json()
        assert {"session_id": sid, "owner": "a1"} in listed["remote"]

        async def subscribe_remotely(token):
            async with websockets.connect(nodes[1].ws_url, additional_headers=bearer(token)) as ws:
                await ws.send(json.dumps({"type": "subscribe", "session_id": sid, "id": "s"}))
                return json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert asyncio.run(subscribe_remotely(TOKENS["bob"]))["type"] == "subscribed"
        denied = asyncio.run(subscribe_remotely(mint(sub="dave")))
        assert denied["type"] == "error" and denied["code"] == "forbidden" and denied["ref"] == "s", denied
        nodes[0].proc.send_signal(signal.SIGKILL)
        assert wait_for(lambda: nodes[1].get(f"/api/v1/sessions/{sid}", headers=bearer(TOKENS["bob"])).status_code == 200,
                        timeout=10, interval=0.25)  # polled gently: loopback is rate-limited with auth on
        assert nodes[1].get(f"/api/v1/sessions/{sid}", headers=bearer(mint(sub="dave"))).status_code == 403
        assert nodes[1].post("/api/v1/swarm/costs", update, headers=bearer(TOKENS["bob"])).status_code == 202
    finally:
        for n in nodes:
            n.stop(signal.SIGKILL, timeout=5)
        redis.stop()
