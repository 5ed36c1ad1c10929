"""Headless Chromium from Debian, driven by selenium, with its console and network logs on."""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def require_tools(*paths: str) -> None:
    """Skip when a tool is missing on a developer's machine; fail under CI (CNKZ_CI=1), which installs them all."""
    missing = [p for p in paths if not (os.path.exists(p) or shutil.which(p))]
    if missing:
        message = f"{', '.join(missing)} not installed (apt-get install chromium chromium-driver r-base-core; .ci/run does)"
        if os.environ.get("CNKZ_CI"):
            pytest.fail(message)
        pytest.skip(message)


def chrome(width: int = 1280, height: int = 900) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={width},{height}",
                     "--hide-scrollbars", "--force-device-scale-factor=1", "--lang=en-GB"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    set_viewport(driver, width, height)
    return driver


def set_viewport(driver: Any, width: int, height: int) -> None:
    """The page's viewport exactly width × height CSS pixels (the window's own size leaves less, and headless Chromium
    makes no window narrower than 500 px); below 600 px wide, as a phone shows it (touch, no scroll bars)."""
    mobile = width < 600
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": mobile})


def requested_urls(driver: Any) -> list[str]:
    """Every URL the browser asked for since the last call (Chrome's performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def console_errors(driver: Any) -> list[str]:
    return [f"{e['level']}: {e['message']}" for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
