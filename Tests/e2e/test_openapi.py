"""The published contract: docs/openapi.json is what the server serves and what `solverd openapi` prints; it is a
valid OpenAPI 3.1 document; the router answers exactly the documented methods on every documented path; the event
records of NDJSON streams and WebSocket frames match its schemas; and schemathesis, run from it against the live
server with a bounded number of examples, finds no failure (every response conforms, no 5xx, schema-violating
requests refused, documented statuses only). `make fuzz-api` runs the same with many more examples."""
import asyncio
import json
import os
import subprocess

import pytest
import requests

from conftest import PLAN_MATRIX_CONSISTENT, ROOT, Server, solverd_binary

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed (make test installs it)")
validator_module = pytest.importorskip("openapi_spec_validator", reason="openapi-spec-validator is not installed")

SPEC_PATH = os.path.join(ROOT, "docs", "openapi.json")
SCHEMATHESIS_CONFIG = os.path.join(ROOT, "Tests", "api", "schemathesis.toml")
# Streams never end on their own and the cluster endpoints exist only in cluster mode: checked separately.
NOT_FUZZED = "events|solve-stream|swarm/nodes|cluster/"
CLUSTER_ONLY = {"/api/v1/swarm/nodes", "/api/v1/cluster/sessions/{session_id}"}


@pytest.fixture(scope="module")
def spec():
    with open(SPEC_PATH) as f:
        return json.load(f)


def schema_for(spec, name):
    """A validator for components/schemas/NAME that resolves the document's $refs."""
    resolver_spec = {**spec["components"]["schemas"][name], "components": spec["components"]}
    return jsonschema.Draft202012Validator(resolver_spec)


def test_the_committed_document_is_what_the_server_serves(server, spec):
    printed = subprocess.run([solverd_binary(), "openapi"], capture_output=True, text=True, timeout=30)
    with open(SPEC_PATH) as f:
        committed = f.read()
    assert printed.stdout == committed, "docs/openapi.json is stale: run `solverd openapi > docs/openapi.json`"
    served = server.get("/api/v1/openapi.json")
    assert served.status_code == 200 and served.headers["content-type"] == "application/json"
    assert served.json() == spec
    validator_module.validate(spec)
    assert spec["openapi"].startswith("3.1")


def test_the_router_answers_exactly_the_documented_methods(server, spec):
    for path, item in spec["paths"].items():
        if path in CLUSTER_ONLY:
            continue
        concrete = path.replace("{session_id}", "no-such-session")
        refused = requests.request("PATCH", server.url(concrete), timeout=10)
        assert refused.status_code == 405, (path, refused.text)
        allowed = {m.strip() for m in refused.headers["allow"].split(",")} - {"HEAD"}
        assert allowed == {m.upper() for m in item}, (path, allowed, list(item))
        assert refused.json()["error"]["code"] == "method_not_allowed"


def test_every_error_code_is_documented_once(spec):
    codes = spec["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
    assert len(codes) == len(set(codes))
    for code in ("origin_not_allowed", "host_not_allowed", "unsupported_media_type", "draining", "payload_too_large"):
        assert code in codes


def test_stream_records_and_websocket_frames_match_the_schemas(server, spec):
    body = {"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3], "method": "cg", "session_id": "contract-1"}
    record = jsonschema.Draft202012Validator({
        "oneOf": [{"$ref": f"#/components/schemas/{n}"} for n in ("SessionCreated", "Event", "Heartbeat", "Shutdown")],
        "components": spec["components"]})
    with requests.post(server.url("/api/v1/solve-stream?until=converged"), json=body, stream=True, timeout=30) as r:
        records = [json.loads(line) for line in r.iter_lines() if line]
    assert records[0]["type"] == "session_created" and records[0]["protocol_version"] == 1
    for item in records:
        record.validate(item)

    import websockets

    async def frames():
        async with websockets.connect(server.ws_url, subprotocols=["solverd.v1"]) as ws:
            assert ws.subprotocol == "solverd.v1"
            await ws.send(json.dumps({"type": "subscribe", "id": "s", "session_id": "contract-1", "since_seq": 0}))
            await ws.send(json.dumps({"type": "cost_update", "id": "u", "session_id": "contract-1",
                                      "delta_costs": {"indices": [0], "values": [1.0]}}))
            seen = []
            while not any(f["type"] == "convergence_signal" and f.get("last_applied_seq", 0) > 0 for f in seen):
                seen.append(json.loads(await asyncio.wait_for(ws.recv(), 20)))
            return seen

    received = asyncio.run(frames())
    subscribed = next(f for f in received if f["type"] == "subscribed")
    assert subscribed["protocol_version"] == 1
    schemas = {"ack": "Ack", "subscribed": None}
    for frame in received:
        name = schemas.get(frame["type"], "Event")
        if name:
            schema_for(spec, name).validate(frame)


def test_subprotocols_are_negotiated(server):
    import websockets
    from websockets.exceptions import InvalidStatus

    async def negotiate(offered):
        async with websockets.connect(server.ws_url, subprotocols=offered) as ws:
            await ws.send('{"type":"ping"}')
            await ws.recv()
            return ws.subprotocol

    assert asyncio.run(negotiate(["solverd.v1"])) == "solverd.v1"
    assert asyncio.run(negotiate(["solverd.v1", "solverd"])) == "solverd.v1"
    assert asyncio.run(negotiate(["solverd"])) == "solverd"
    assert asyncio.run(negotiate(None)) is None  # no subprotocol: v1
    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(negotiate(["solverd.v9"]))
    assert refused.value.response.status_code == 400


def run_schemathesis(server, examples, seed=None, extra=()):
    command = ["st", "--config-file", SCHEMATHESIS_CONFIG, "run", SPEC_PATH, "--url", server.base,
               "--checks", "all", "--max-examples", str(examples), "--exclude-path-regex", NOT_FUZZED, "--no-color",
               *(["--seed", str(seed)] if seed is not None else []), *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=900)


def test_schemathesis_finds_no_failure():
    # A server of its own: the fuzzer creates and deletes sessions at random.
    fuzzed = Server()
    try:
        # A fixed seed keeps `make test` repeatable; `make fuzz-api` sets SCHEMATHESIS_SEED empty for fresh ones.
        done = run_schemathesis(fuzzed, examples=int(os.environ.get("SCHEMATHESIS_EXAMPLES", "20")),
                                seed=os.environ.get("SCHEMATHESIS_SEED", "14") or None)
        assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
        assert " passed" in done.stdout and "generated" in done.stdout
        assert fuzzed.proc.poll() is None, "the server died under the fuzzer:\n" + fuzzed.log()[-3000:]
    finally:
        fuzzed.stop()


def test_protocol_document_covers_every_client_message(server):
    import re

    import websockets

    async def valid_types():
        async with websockets.connect(server.ws_url) as ws:
            await ws.send('{"type":"no_such_message","id":"t"}')
            return json.loads(await ws.recv())

    error = asyncio.run(valid_types())
    assert error["type"] == "error" and error["code"] == "unknown_type" and error["ref"] == "t"
    names = re.search(r"valid types: (.*)$", error["message"]).group(1).split(", ")
    with open(os.path.join(ROOT, "docs", "protocol.md")) as f:
        protocol = f.read()
    for name in names:
        assert f"| `{name}` |" in protocol, f"docs/protocol.md does not describe the client message {name}"
