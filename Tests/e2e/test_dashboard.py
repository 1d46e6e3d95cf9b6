"""The dashboard (clients/dashboard, served at /) in headless Chromium driven by selenium: a generated session with
a live residual plot, a cost update pushed from the page and its re-convergence, Matrix Market upload, the
PageRank and random generators, and clear errors for bad input. Saves a screenshot of the page."""
import os
import tempfile
import time

import numpy as np
import pytest
import requests

from browser_support import start_chromium  # noqa: E402  (skips the module without selenium)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

SCREENSHOT_DIR = os.environ.get("SOLVERD_SCREENSHOT_DIR", os.path.join(tempfile.gettempdir(), "solverd-dashboard"))


@pytest.fixture(scope="module")
def browser():
    driver = start_chromium()
    yield driver
    driver.quit()


@pytest.fixture
def page(browser, server):
    browser.get(server.url("/"))
    wait(lambda: browser.execute_script("return !!(window.dashboard && window.dashboard.plot)"), "the dashboard to start")
    wait(lambda: "open" in text(browser, "ws-state"), "the WebSocket to open")
    return browser


def wait(predicate, what, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def text(driver, element_id):
    return driver.find_element(By.ID, element_id).text


def fill(driver, element_id, value):
    field = driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(str(value))


def start_generated(driver, kind="laplacian", method="jacobi", **fields):
    driver.find_element(By.CSS_SELECTOR, "input[name=source][value=generator]").click()
    Select(driver.find_element(By.ID, "gen-kind")).select_by_value(kind)
    Select(driver.find_element(By.ID, "method")).select_by_value(method)
    for element_id, value in fields.items():
        fill(driver, element_id.replace("_", "-"), value)
    before = driver.execute_script("return window.dashboard.state.sid")
    driver.find_element(By.ID, "create").click()
    return wait(lambda: (lambda sid: sid if sid and sid != before else None)(
        driver.execute_script("return window.dashboard.state.sid")), "the new session")


def residuals(driver):
    return driver.execute_script("return window.dashboard.plot.residuals.map(p => [p.x, p.y])")


def error_box(driver):
    wait(lambda: driver.find_element(By.ID, "error").is_displayed(), "the error message")
    return {k: text(driver, f"error-{k}") for k in ("context", "code", "field", "message")}


def test_generated_session_plots_and_reconverges_after_a_push(page, server):
    sid = start_generated(page, gen_side=40, gen_shift=0.01)
    wait(lambda: text(page, "phase") == "converged", "convergence", timeout=30)
    points = residuals(page)
    assert len(points) >= 10, points
    assert points[0][1] > 1e-3 and points[-1][1] <= 1e-8
    assert all(a[0] < b[0] for a, b in zip(points, points[1:])), "iterations must increase along the plot"
    assert "verified" in text(page, "verified")
    assert "it/s" in text(page, "rate")
    assert len(page.find_elements(By.CSS_SELECTOR, "#watched tbody tr")) == 4
    assert sid[:8] in text(page, "sessions")

    fill(page, "delta-indices", "0, 17")
    fill(page, "delta-values", "5.0, -2.5")
    page.find_element(By.ID, "push").click()
    wait(lambda: "re-converged" in text(page, "push-state"), "re-convergence after the push", timeout=30)
    assert page.execute_script("return window.dashboard.plot.chart.data.datasets[2].data.length") == 1
    after = residuals(page)
    assert len(after) > len(points) and after[-1][1] <= 1e-8
    status = requests.get(server.url(f"/api/v1/status/{sid}"), timeout=10).json()
    assert status["phase"] == "converged" and status["updates_applied"] == 1

    page.find_element(By.ID, "verify").click()
    wait(lambda: "on 10 probes" in text(page, "verify-state"), "the verification result")
    heat_pixels = page.execute_script(
        "const c = document.getElementById('heat-strip'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n;")
    assert heat_pixels > 0, "the heat strip is blank"
    os.makedirs(SCREENSHOT_DIR, exist_ok=True)
    path = os.path.join(SCREENSHOT_DIR, "dashboard.png")
    page.save_screenshot(path)
    assert os.path.getsize(path) > 10_000
    print(f"dashboard screenshot: {path}")


def test_matrix_market_upload(page, server, tmp_path):
    mtx = tmp_path / "plan.mtx"
    mtx.write_text("%%MatrixMarket matrix coordinate real symmetric\n% the 3x3 example system\n3 3 5\n"
                   "1 1 2\n2 1 -1\n2 2 2\n3 2 -1\n3 3 2\n")
    page.find_element(By.CSS_SELECTOR, "input[name=source][value=upload]").click()
    page.find_element(By.ID, "mtx-file").send_keys(str(mtx))
    Select(page.find_element(By.ID, "method")).select_by_value("")
    before = page.execute_script("return window.dashboard.state.sid")
    page.find_element(By.ID, "create").click()
    sid = wait(lambda: (lambda s: s if s and s != before else None)(page.execute_script("return window.dashboard.state.sid")), "the upload")
    wait(lambda: text(page, "phase") == "converged", "convergence")
    x = requests.get(server.url(f"/api/v1/sessions/{sid}/solution"), timeout=10).json()["x"]
    np.testing.assert_allclose(x, [1.5, 2.0, 1.5], rtol=1e-7)  # A x = 1

    mtx.write_text("%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 2\n4 1 1\n")
    page.find_element(By.ID, "mtx-file").send_keys(str(mtx))
    page.find_element(By.ID, "create").click()
    error = error_box(page)
    assert error["code"] == "parse_error" and error["field"] == "line 4" and "outside" in error["message"]


@pytest.mark.parametrize("kind,fields", [("pagerank", {"gen_n": 300, "gen_degree": 4, "gen_alpha": 0.85}),
                                         ("random", {"gen_n": 300, "gen_per_row": 6})])
def test_pagerank_and_random_generators(page, server, kind, fields):
    sid = start_generated(page, kind=kind, method="gauss_seidel", **fields)
    wait(lambda: text(page, "phase") == "converged", f"{kind} convergence")
    x = np.array(requests.get(server.url(f"/api/v1/sessions/{sid}/solution"), timeout=10).json()["x"])
    if kind == "pagerank":
        assert abs(x.sum() - 1.0) < 1e-6 and (x > 0).all()  # no dangling nodes: the ranks sum to 1
    assert requests.post(server.url("/api/v1/verify"), json={"session_id": sid, "probe_count": 20}, timeout=10).json()["verified"]


def test_bad_input_shows_code_field_and_message(page):
    start_generated(page, gen_side=4, gen_shift=1)
    wait(lambda: text(page, "phase") == "converged", "convergence")
    fill(page, "delta-indices", "99999")
    fill(page, "delta-values", "1.0")
    page.find_element(By.ID, "push").click()
    error = error_box(page)
    assert error["code"] == "index_out_of_range" and error["field"] == "delta_costs.indices[0]"
    assert "99999" in error["message"] and error["context"] == "Push update"

    fill(page, "delta-indices", "1, 2")
    fill(page, "delta-values", "1.0")
    page.find_element(By.ID, "push").click()
    wait(lambda: "dimension_mismatch" in text(page, "error-code"), "the length mismatch error")

    page.find_element(By.ID, "error-close").click()
    fill(page, "gen-side", "0")
    page.find_element(By.ID, "create").click()
    error = error_box(page)
    assert error["code"] == "invalid_argument" and error["field"] == "grid side" and error["context"] == "Start session"

    fill(page, "gen-side", "3")
    fill(page, "tolerance", "-1")
    page.find_element(By.ID, "create").click()
    wait(lambda: text(page, "error-field") == "options.tolerance", "the server's tolerance error")
