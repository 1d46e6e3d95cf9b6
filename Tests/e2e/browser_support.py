"""Headless Chromium under selenium for the browser tests (dashboard, origin policy)."""
import os
import shutil

import pytest

pytest.importorskip("selenium", reason="selenium is not installed (make test installs it)")
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def start_chromium(*extra_args):
    """A headless Chromium; `extra_args` are Chromium switches (e.g. --host-resolver-rules)."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("chromium/chromedriver not installed (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1150",
                *extra_args):
        options.add_argument(arg)
    try:
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    except WebDriverException as e:
        pytest.skip(f"chromium cannot start here: {e.msg.splitlines()[0] if e.msg else e}")
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(20)
    return driver
