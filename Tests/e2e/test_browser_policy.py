"""Which browsers may use a local solverd, started as the README starts it (loopback, no auth, so every caller is an
admin): the dashboard works from its own origin under each loopback name; a page served from another origin can
neither fetch the API, nor open the WebSocket, nor create a session with a form post; a DNS-rebinding page (another
name resolving to 127.0.0.1) is refused by its Host; `--cors-origin` lets one origin in, explicitly. Real headless
Chromium; the foreign page comes from a second HTTP server on another loopback port. Plus the same checks with curl,
websocat and Python `websockets`, which show the server (not only the browser) refuses."""
import functools
import http.server
import json
import subprocess
import threading

import pytest
import requests

from browser_support import start_chromium  # noqa: E402  (skips the module without selenium)
from conftest import PLAN_MATRIX_CONSISTENT, Server, solverd_binary, wait_for

SYSTEM = {"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3], "method": "cg"}

# Runs in the foreign page: what a malicious site could do with the solverd on the visitor's machine.
PROBE = """
const [base, done] = [arguments[0], arguments[arguments.length - 1]];
const results = {};
try {
  const r = await fetch(base + "/api/v1/sessions");
  results.read = "status " + r.status + " " + (await r.text());
} catch (e) { results.read = "blocked: " + e.name; }
try {
  const r = await fetch(base + "/api/v1/sessions", {method: "POST", headers: {"content-type": "application/json"},
                                                      body: JSON.stringify(arguments[1])});
  results.create = "status " + r.status;
} catch (e) { results.create = "blocked: " + e.name; }
results.ws = await new Promise(resolve => {
  const ws = new WebSocket(base.replace("http", "ws") + "/ws/solver");
  ws.onopen = () => { ws.close(); resolve("open"); };
  ws.onerror = () => resolve("error");
});
done(results);
"""

FORM_PAGE = """<!doctype html><meta charset=utf-8><title>csrf</title>
<form id=f method=POST enctype=text/plain action="{action}">
<input name='{{"session_id":"csrf-form","method":"cg","vector":[1,2,3],"matrix":{matrix},"pad":"' value='"}}'>
</form><script>document.getElementById("f").submit()</script>"""


class ForeignSite:
    """Another origin: a static page server on its own loopback port."""

    def __init__(self, directory):
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
        handler.log_message = lambda *args: None
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    directory = tmp_path_factory.mktemp("foreign-site")
    (directory / "index.html").write_text("<!doctype html><title>elsewhere</title><p>another site</p>")
    s = ForeignSite(directory)
    s.directory = directory
    yield s
    s.close()


@pytest.fixture(scope="module")
def browser():
    driver = start_chromium()
    yield driver
    driver.quit()


def rejects(server, reason):
    metrics = requests.get(server.url("/metrics"), timeout=10).text
    for line in metrics.splitlines():
        if line.startswith("solverd_rejects_total") and f'reason="{reason}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def sessions(server):
    return requests.get(server.url("/api/v1/sessions"), timeout=10).json()["sessions"]


def probe_from(browser, page_url, server_base):
    browser.get(page_url)
    return browser.execute_async_script("(async () => {" + PROBE + "})()", server_base, {**SYSTEM, "session_id": "from-js"})


def test_dashboard_works_under_each_loopback_name(browser, server):
    for base in (f"http://127.0.0.1:{server.port}", f"http://localhost:{server.port}"):
        browser.get(base + "/")
        assert wait_for(lambda: browser.execute_script("return !!(window.dashboard && window.dashboard.plot)"), 20), base
        assert wait_for(lambda: "open" in browser.find_element("id", "ws-state").text, 20), base
        # Same-origin calls the dashboard makes, with the Origin header the browser adds to POSTs.
        result = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch('/api/v1/sessions', {method: 'POST', headers: {'content-type': 'application/json'},"
            " body: JSON.stringify(arguments[0])}).then(r => done(r.status), e => done(String(e)));",
            {**SYSTEM, "session_id": "dashboard-" + base.split("//")[1].split(":")[0]})
        assert result == 201, (base, result)


def test_a_foreign_page_cannot_read_create_or_connect(browser, server, site):
    before = rejects(server, "origin")
    results = probe_from(browser, site.origin + "/index.html", server.base)
    assert results["read"].startswith("blocked"), results
    assert results["create"].startswith("blocked"), results
    assert results["ws"] == "error", results
    assert "from-js" not in {s["session_id"] for s in sessions(server)}
    # The server refused them (the preflight and the upgrade), not only the browser's CORS check.
    assert rejects(server, "origin") >= before + 2


def test_a_foreign_form_post_creates_nothing(browser, server, site):
    action = server.url("/api/v1/sessions")
    (site.directory / "form.html").write_text(FORM_PAGE.format(action=action, matrix=json.dumps(PLAN_MATRIX_CONSISTENT)))
    browser.get(site.origin + "/form.html")
    assert wait_for(lambda: "origin_not_allowed" in browser.page_source, 20), browser.page_source[:500]
    assert "csrf-form" not in {s["session_id"] for s in sessions(server)}


def test_a_dns_rebinding_page_is_refused_by_host(server):
    # The attacker's name resolves to 127.0.0.1, so to the browser the page and the API are one origin.
    rebound = start_chromium("--host-resolver-rules=MAP rebind.attacker.test 127.0.0.1")
    try:
        rebound.get(f"http://rebind.attacker.test:{server.port}/")
        assert wait_for(lambda: "host_not_allowed" in rebound.page_source, 20), rebound.page_source[:500]
        results = rebound.execute_async_script("(async () => {" + PROBE + "})()",
                                               f"http://rebind.attacker.test:{server.port}", {**SYSTEM, "session_id": "rebound"})
        assert results["read"].startswith("status 421"), results
        assert results["create"].startswith("status 421"), results
        assert results["ws"] == "error", results
    finally:
        rebound.quit()
    assert "rebound" not in {s["session_id"] for s in sessions(server)}


def test_cors_origin_lets_one_origin_in(browser, site):
    allowed = Server("--cors-origin", site.origin)
    try:
        results = probe_from(browser, site.origin + "/index.html", allowed.base)
        assert results["read"].startswith("status 200"), results
        assert results["create"] == "status 201", results
        assert results["ws"] == "open", results
        other = requests.options(allowed.url("/api/v1/sessions"), timeout=10, headers={
            "origin": "http://127.0.0.1:1", "access-control-request-method": "POST"})
        assert other.status_code == 403 and "access-control-allow-origin" not in other.headers
    finally:
        allowed.stop()


def test_command_line_clients_see_the_same_policy(server):
    foreign_host = subprocess.run(["curl", "-s", "-H", "Host: attacker.example:3997", server.url("/api/v1/sessions")],
                                  capture_output=True, text=True, timeout=10)
    assert json.loads(foreign_host.stdout)["error"]["code"] == "host_not_allowed"
    form = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", "-X", "POST", server.url("/api/v1/sessions"),
                           "-d", json.dumps({**SYSTEM, "session_id": "curl-form"})], capture_output=True, text=True, timeout=10)
    body, status = form.stdout.rsplit("\n", 1)
    assert status == "415" and json.loads(body)["error"]["code"] == "unsupported_media_type", form.stdout
    preflight = requests.options(server.url("/api/v1/sessions"), timeout=10, headers={
        "origin": "https://evil.example", "access-control-request-method": "POST"})
    assert preflight.status_code == 403 and preflight.json()["error"]["code"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in preflight.headers
    # websocat with a browser's Origin is refused at the upgrade; without one (the README's way) it is served.
    refused = subprocess.run(["websocat", "-1", "--origin", "https://evil.example", server.ws_url],
                             input='{"type":"ping"}\n', capture_output=True, text=True, timeout=20)
    assert refused.returncode != 0 and "403" in refused.stderr, refused
    served = subprocess.run(["websocat", "-1", server.ws_url], input='{"type":"ping"}\n', capture_output=True,
                            text=True, timeout=20)
    assert json.loads(served.stdout)["type"] == "pong", served


def test_python_websockets_with_a_foreign_origin_is_refused(server):
    import asyncio

    import websockets
    from websockets.exceptions import InvalidStatus

    async def attempt(origin):
        async with websockets.connect(server.ws_url, origin=origin) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            return json.loads(await ws.recv())["type"]

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(attempt("https://evil.example"))
    assert refused.value.response.status_code == 403
    assert asyncio.run(attempt(f"http://localhost:{server.port}")) == "pong"


def test_config_check_names_a_bad_origin(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text('server:\n  cors_origins: ["evil.example"]\n')
    result = subprocess.run([solverd_binary(), "config", "check", str(bad)], capture_output=True, text=True, timeout=20)
    assert result.returncode == 2 and "server.cors_origins" in result.stderr, result
