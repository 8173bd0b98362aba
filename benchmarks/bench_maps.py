"""Benchmark the web maps: build time and HTML size of each, load time of each in headless chromium.

Run from the repository root (needs Debian's chromium at /usr/bin/chromium and playwright):

    python benchmarks/bench_maps.py            # writes benchmarks/RESULTS_maps.md

Load time = from navigation start to the map being interactive (every layer drawn, the
registry script at the end of the page has run), median of 5 fresh browser contexts; the
``load`` event time is reported too. The goal is < 3 s for the overview map.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import jsplan_gis
from jsplan_gis.webmap import MAPS, map_filename, write_maps

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
RUNS = 5
HERE = Path(__file__).resolve().parent


def build(folder: Path) -> dict[str, tuple[float, int]]:
    """Build each map alone; return {name: (seconds, bytes)}."""
    out = {}
    for name in MAPS:
        t = time.perf_counter()
        write_maps(folder, maps=[name])
        out[name] = (time.perf_counter() - t, (folder / map_filename(name)).stat().st_size)
    return out


def load_times(path: Path) -> tuple[list[float], list[float]]:
    """(interactive, load event) seconds for RUNS fresh contexts."""
    from playwright.sync_api import sync_playwright

    ready, loaded = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(RUNS):
            ctx = browser.new_context(viewport={"width": 1400, "height": 900})
            page = ctx.new_page()
            remote: list[str] = []

            def record(request, _remote=remote):
                if not request.url.startswith(("file:", "data:")):
                    _remote.append(request.url)

            page.on("request", record)
            t = time.perf_counter()
            page.goto(path.as_uri(), wait_until="load")
            loaded.append(time.perf_counter() - t)
            page.wait_for_function("window.jsplanLayers !== undefined")
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            ready.append(time.perf_counter() - t)
            assert not remote, remote
            ctx.close()
        browser.close()
    return ready, loaded


def main() -> int:
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        built = build(folder)
        loads = {name: load_times(folder / map_filename(name)) for name in MAPS}
    lines = [
        "# Web-map benchmark",
        "",
        f"Command: `python benchmarks/bench_maps.py` (jsplan_gis {jsplan_gis.__version__}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores, Debian chromium headless, "
        f"median of {RUNS} fresh browser contexts; no network).",
        "",
        "| map | HTML size (MB) | build (s) | load event (s) | interactive (s), median | min–max (s) |",
        "|---|---|---|---|---|---|",
    ]
    for name in MAPS:
        secs, size = built[name]
        ready, loaded = loads[name]
        lines.append(
            f"| {name} | {size / 1e6:.2f} | {secs:.1f} | {statistics.median(loaded):.2f} | "
            f"{statistics.median(ready):.2f} | {min(ready):.2f}–{max(ready):.2f} |"
        )
    ov = statistics.median(loads["overview"][0])
    lines += ["", f"Overview interactive in {ov:.2f} s (goal < 3 s): {'met' if ov < 3 else 'NOT met'}.", ""]
    text = "\n".join(lines)
    (HERE / "RESULTS_maps.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
