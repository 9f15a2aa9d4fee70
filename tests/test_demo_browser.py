"""The classroom demo in a real browser (headless Chromium through Playwright), offline.

Starts ``regroup demo`` on a free localhost port, loads the page, moves a lever, plays,
checks that the figures change, resets, compares seeds on the second page, and writes the
screenshots used by docs/teaching-guide.md. Fails on any failed request (the page must load
with nothing fetched from the internet). Skips only when no Chromium can be had here.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if CHROMIUM is None:
        msg = "no chromium on this machine (make test installs Debian's chromium as root)"
        print(f"SKIP: {msg}")
        pytest.skip(msg)
    port = free_port()
    log_path = tmp_path_factory.mktemp("demo") / "server.log"
    log = open(log_path, "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "regroup.cli", "demo", "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGTERM) if proc.poll() is None else None
            log.close()
            pytest.fail("the demo server did not start:\n" + log_path.read_text())
        time.sleep(0.5)
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


def month(page) -> int:
    text = page.locator(".regroup-now").inner_text()
    return int(re.search(r"month (\d+) of 240", text).group(1))


def test_demo_in_chromium(server):
    failed: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 1050})
        page.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}"))
        page.on(
            "response", lambda r: failed.append(f"{r.url}: {r.status}") if r.status >= 400 else None
        )
        page.goto(server)
        page.get_by_role("button", name="Reset").wait_for(timeout=90_000)
        page.get_by_text("Prevention research").first.wait_for()
        assert "no real person" in page.content()
        assert month(page) == 0
        now0 = page.locator(".regroup-now").inner_text()

        # move a lever with the keyboard: 16 steps of 0.05 = 0.8
        slider = page.locator(".regroup-control [role=slider]").first
        slider.focus()
        for _ in range(16):
            slider.press("ArrowRight")
        page.get_by_text("Stop prisoners organising (prison measures): 0.8").wait_for()
        page.get_by_text("Settings changed").wait_for()
        page.get_by_role("button", name="Reset").click()
        page.get_by_text("levers on").first.wait_for()

        # play, time the months, pause
        charts = page.locator("img")
        before = [charts.nth(i).get_attribute("src") for i in range(charts.count())]
        page.get_by_role("button", name="▶").click()
        start, t0 = month(page), time.monotonic()
        while month(page) < 60 and time.monotonic() - t0 < 120:
            time.sleep(0.5)
        reached, seconds = month(page), time.monotonic() - t0
        page.get_by_role("button", name="❚❚").click()
        print(f"demo in Chromium: {(reached - start) / seconds:.1f} simulated months/s")
        assert reached >= 60, f"only {reached} months in {seconds:.0f} s"
        time.sleep(1.5)  # let the last frame arrive
        now = page.locator(".regroup-now").inner_text()
        assert now != now0
        after = [charts.nth(i).get_attribute("src") for i in range(charts.count())]
        assert len(after) >= 3 and sum(a != b for a, b in zip(after, before, strict=False)) >= 3
        IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=IMG / "demo-page.png")
        page.locator(".v-navigation-drawer").screenshot(path=IMG / "demo-controls.png")

        page.get_by_role("button", name="Reset").click()
        deadline = time.monotonic() + 30
        while month(page) != 0 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert month(page) == 0

        # second page: several seeds, baseline against the levers
        page.get_by_role("tab", name="Page 1").click()
        page.get_by_role("button", name=re.compile(r"Compare \d+ seeds")).click()
        page.get_by_text("Regrouped by 2032").wait_for(timeout=180_000)
        page.screenshot(path=IMG / "demo-compare.png", full_page=True)
        browser.close()
    assert failed == [], "failed requests:\n" + "\n".join(failed)
