"""End to end: a real server, headless Chromium, a link with parameters, Play, numbers move."""
from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.e2e.browser import browser, chromium_path, server

pytestmark = pytest.mark.e2e
SHOTS = Path(os.environ.get("EXPLORER_SHOTS", Path(tempfile.gettempdir()) / "explorer-e2e"))


@pytest.fixture(scope="module")
def app():
    if chromium_path() is None:
        msg = "Chromium is not installed (apt-get install -y chromium); the browser test cannot run"
        if os.environ.get("EXPLORER_REQUIRE_BROWSER"):
            pytest.fail(msg)
        pytest.skip(msg)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with server(ROOT / "streamlit_app.py", log=SHOTS / "server.log") as (url, _, _), browser() as b:
        page = b.new_page(viewport={"width": 1400, "height": 1500})
        yield url, page
        page.close()


def epoch(page) -> int:
    text = page.locator("h4").filter(has_text="Epoch").first.inner_text()
    return int(re.sub(r"\D", "", text))


def test_home_lists_the_curriculum(app):
    url, page = app
    page.goto(url + "/")
    page.wait_for_selector("h1", timeout=60_000)
    assert "Deep Learning Explorer" in page.locator("h1").first.inner_text()
    page.get_by_text("Neural Network Playground (§3.1–3.3)").first.wait_for(timeout=30_000)
    page.get_by_text("not yet available").first.wait_for(timeout=10_000)
    page.get_by_text("Compute device").first.wait_for(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(SHOTS / "home.png"))


def test_playground_link_plays_and_numbers_move(app):
    url, page = app
    page.goto(url + "/playground?dataset=xor&features=x,y,xy&noise=10&seed=7&show_test=1")
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    assert page.get_by_role("combobox", name="Dataset").input_value() == "Exclusive or"
    assert "Noise (%)\n\n10" in page.locator('[data-testid="stSidebar"]').inner_text()
    assert epoch(page) == 0
    page.get_by_role("button", name=re.compile(r"▶ Play")).click()
    page.wait_for_selector('[data-testid="stImage"] img', timeout=20_000)
    first, srcs, t0 = epoch(page), set(), time.time()
    while time.time() - t0 < 3:
        srcs.add(page.locator('[data-testid="stImage"] img').first.get_attribute("src"))
        page.wait_for_timeout(50)
    moved = epoch(page) - first
    assert moved > 30, f"epoch counter moved only {moved} in 3 s"
    assert len(srcs) >= 5, f"the picture changed only {len(srcs)} times in 3 s"
    page.screenshot(path=str(SHOTS / "playground-live.png"))
    page.get_by_role("button", name=re.compile(r"⏸ Pause")).click()
    page.wait_for_selector(".js-plotly-plot", timeout=20_000)
    page.wait_for_timeout(500)
    stopped = epoch(page)
    page.wait_for_timeout(1000)
    assert epoch(page) == stopped  # nothing trains while paused
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(SHOTS / "playground.png"), full_page=True)


def test_bad_link_shows_a_notice_not_a_traceback(app):
    url, page = app
    page.goto(url + "/playground?noise=999&activation=<b>&layers=-4")
    page.wait_for_selector('[data-testid="stAlertContentWarning"]', timeout=60_000)
    text = page.locator('[data-testid="stAlertContentWarning"]').first.inner_text()
    assert "noise" in text and "activation" in text and "layers" in text
    assert page.locator('[data-testid="stException"]').count() == 0


def _live_pages():
    from explorer import catalog

    return [t.id for t in catalog.live_topics() if t.id != "home"]


@pytest.mark.parametrize("page_id", _live_pages())
def test_every_page_renders_in_the_browser(app, page_id):
    url, page = app
    page.goto(f"{url}/{page_id}")
    page.wait_for_selector("h1", timeout=60_000)
    page.wait_for_selector(".js-plotly-plot, [data-testid='stImage']", timeout=90_000)
    page.wait_for_timeout(500)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    page.screenshot(path=str(SHOTS / f"{page_id}.png"))
