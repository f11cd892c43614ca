"""Helpers for the browser-panel tests: the firmware on the simulated board with its web page,
and headless Chromium from Debian driven by Selenium (never Selenium Manager's downloads).

(Not a conftest.py, as tests/box/boxkit.py explains.)"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "box"))
from boxkit import make_box, wait_until  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def have_browser() -> bool:
    return bool(shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER))


def needs_browser():
    return pytest.mark.skipif(not have_browser(), reason="needs Debian's chromium and chromium-driver "
                                                         "(.ci/run installs them)")


@contextmanager
def web_box(patch: str | None = "patches/first-voice.toml", seconds: float = 30.0, knobs: dict | None = None,
            address: str = "127.0.0.1:0", passphrase: str = "", **settings) -> Iterator[tuple]:
    """The firmware on the simulated board with the browser panel, its control loop on a
    thread. Yields (box, web, tap, mock board)."""
    from ms20.web.guard import parse_address
    from ms20.web.server import WebPanel

    box, _midi, tap = make_box(patch, seconds=seconds, knobs=knobs, surface="sim", **settings)
    web = WebPanel(box, parse_address(address), passphrase)
    web.start()
    box.start()
    thread = threading.Thread(target=box.run, kwargs={"on_tick": web.on_tick}, name="test-control-loop",
                              daemon=True)
    thread.start()
    wait_until(lambda: box.audio.state == "running", 3.0)
    try:
        yield box, web, tap, box.surface.board.sim
    finally:
        box.request_stop()
        thread.join(3.0)
        box.stop()
        web.stop()


@contextmanager
def browser(width: int = 1600, height: int = 1000) -> Iterator:
    """Headless Chromium under Selenium, with Debian's driver given explicitly."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--mute-audio"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def open_panel(driver, web) -> None:
    """Load the page and wait until its WebSocket has brought the first state."""
    driver.get(web.url)
    ok = wait_until(lambda: driver.execute_script(
        "return document.body.dataset.connected === 'yes' && !!document.querySelector('#panel svg').dataset.stateAt"),
        10.0, 0.02)
    assert ok, "the page never received the panel's state"


def knob_on_page(driver, name: str) -> float:
    return float(driver.execute_script(
        "return document.querySelector(`#panel .knob[data-name='${arguments[0]}']`).dataset.position", name))


def wait_for(predicate, timeout: float = 2.0, step: float = 0.002) -> float | None:
    """Seconds until predicate() held, or None if it never did within timeout."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if predicate():
            return time.monotonic() - t0
        time.sleep(step)
    return None
