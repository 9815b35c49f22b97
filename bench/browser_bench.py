"""The app in a real browser: first paint, live playback rate, server memory. Prints tables.

    .venv/bin/python bench/browser_bench.py

1. Home: seconds from server start to the page's title painted, against a one-line
   Streamlit app (median of 3 fresh servers each);
2. Playground at the default speed: epochs per second of the counter and distinct
   pictures per second, over 5 s of play;
3. Memory: server RSS with one live playground session, and what each further one adds.
"""
from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.browser import browser, server  # noqa: E402


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, MB."""
    import subprocess

    pids = [str(pid)] + subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    total = 0
    for p in pids:
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def first_paint(script: Path, path: str, b) -> float:
    t0 = time.perf_counter()
    with server(script) as (url, _, _):
        page = b.new_page()
        page.goto(url + path)
        page.wait_for_selector("h1", timeout=90_000)
        dt = time.perf_counter() - t0
        page.close()
    return dt


def epoch(page) -> int:
    return int(re.sub(r"\D", "", page.locator("h4").filter(has_text="Epoch").first.inner_text()))


def play(page, url: str, seconds: float = 5.0) -> tuple[float, float]:
    page.goto(url + "/playground")
    page.wait_for_selector(".js-plotly-plot", timeout=90_000)
    page.get_by_role("button", name=re.compile(r"▶ Play")).click()
    page.wait_for_selector('[data-testid="stImage"] img', timeout=30_000)
    page.wait_for_timeout(1000)
    e0, srcs, t0 = epoch(page), set(), time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        srcs.add(page.locator('[data-testid="stImage"] img').first.get_attribute("src"))
        page.wait_for_timeout(30)
    dt = time.perf_counter() - t0
    return (epoch(page) - e0) / dt, len(srcs) / dt


def main() -> None:
    one_line = Path(tempfile.mkdtemp()) / "one_line.py"
    one_line.write_text('import streamlit as st\nst.title("Hello")\n')
    with browser() as b:
        base = statistics.median(first_paint(one_line, "/", b) for _ in range(3))
        home = statistics.median(first_paint(ROOT / "streamlit_app.py", "/", b) for _ in range(3))
        print("\nFirst paint from server start (s, median of 3)")
        print(f"{'one-line Streamlit app':28s} {base:6.2f}")
        print(f"{'Home':28s} {home:6.2f}   ratio {home / base:.2f} (target ≤ 1.3)")

        with server(ROOT / "streamlit_app.py") as (url, proc, _):
            pages = []
            page = b.new_page(viewport={"width": 1400, "height": 1400})
            pages.append(page)
            eps, fps = play(page, url)
            print("\nPlayground at the default speed (100 epochs/s), 5 s of play")
            print(f"{'epochs/s (counter)':28s} {eps:6.0f}   (target ≥ 60; the peer's page ≤ 60)")
            print(f"{'pictures/s':28s} {fps:6.1f}   (target ≥ 5)")
            time.sleep(1)
            one = rss_mb(proc.pid)
            rows = [(1, one)]
            for n in range(2, 5):
                p = b.new_page(viewport={"width": 1400, "height": 1400})
                pages.append(p)
                play(p, url, 2.0)
                time.sleep(1)
                rows.append((n, rss_mb(proc.pid)))
            print("\nServer memory (RSS, MB) with N live playground sessions")
            print(f"{'sessions':>9s} {'RSS':>8s} {'added':>8s}")
            for (n, r), prev in zip(rows, [None] + rows[:-1]):
                print(f"{n:9d} {r:8.0f} {'' if prev is None else f'{r - prev[1]:8.0f}'}")
            per = (rows[-1][1] - rows[0][1]) / (len(rows) - 1)
            print(f"one session: {one:.0f} MB (target ≤ 600); each further: {per:.0f} MB (target ≤ 100)")


if __name__ == "__main__":
    main()
