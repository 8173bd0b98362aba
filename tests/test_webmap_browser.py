"""The web maps in a real browser: Debian's chromium driven by Playwright, with no network.

Every request is recorded and must stay on ``file:``/``data:``; Leaflet must load, no script
may fail, each layer must draw the expected number of features, toggling a layer must hide
them, a popup must show a hostile name as text, and the legend must be there. Screenshots go to
``tests/artifacts/``.

Needs ``/usr/bin/chromium`` (``apt-get install chromium fonts-wqy-zenhei``; ``playwright
install`` cannot download here). Without it these tests fail with an install hint; set
``JSPLAN_SKIP_BROWSER_TESTS=1`` to skip them explicitly on a machine that cannot have a browser.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from _webmap_helpers import EVIL, build_all

from jsplan_gis import load_layer

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parent / "artifacts"


def _missing(reason: str) -> None:
    msg = f"{reason}; install it with `apt-get install -y chromium fonts-wqy-zenhei` (see .ci/run)"
    if os.environ.get("JSPLAN_SKIP_BROWSER_TESTS") == "1":
        pytest.skip(msg + " [skipped on request: JSPLAN_SKIP_BROWSER_TESTS=1]")
    pytest.fail(msg, pytrace=False)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the Python package playwright is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).is_file():
        _missing(f"Debian's chromium is not installed at {CHROMIUM}")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def maps_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("browser_maps")
    build_all(folder)
    return folder


class Page:
    """A loaded map with everything it requested, logged or raised."""

    def __init__(self, browser, path: Path, *, is_map: bool = True):
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on(
            "console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None
        )
        self.page.on("dialog", self._dialog)
        self.page.goto(path.as_uri(), wait_until="load")
        if is_map:
            self.page.wait_for_function("window.jsplanLayers !== undefined")
            self.page.wait_for_timeout(300)  # let any fitBounds animation settle before counting

    def _route(self, route):
        url = route.request.url
        self.requests.append(url)
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def toggle(self, label: str) -> None:
        """Click a layer's label in the layer control."""
        self.page.locator(".leaflet-control-layers").get_by_text(label).click()

    def count(self, key: str) -> int:
        return self.page.locator(f"path.jsplan-{key}").count()

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.wait_for_timeout(400)  # popups fade and pan in
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_map(browser, maps_dir):
    pages: list[Page] = []

    def _open(name: str) -> Page:
        pages.append(Page(browser, maps_dir / name, is_map=name != "index.html"))
        return pages[-1]

    yield _open
    for p in pages:
        p.close()


def _assert_clean(p: Page) -> None:
    remote = [u for u in p.requests if not u.startswith(("file:", "data:"))]
    assert remote == [], f"requests left the machine: {remote}"
    assert p.errors == [], p.errors
    assert p.dialogs == [], f"a script ran: {p.dialogs}"
    assert p.page.evaluate("typeof L !== 'undefined' && L.version") == "1.9.3"


def _status_counts(name: str) -> dict[str, int]:
    status = load_layer(name)["status"].fillna("operating")
    return {f"{name}_{k}": int(v) for k, v in status.value_counts().items()}


@pytest.mark.parametrize(
    "name",
    ["overview.html", "density.html", "closeup_demo_zone.html", "closeup_g42_corridor.html", "index.html"],
)
def test_loads_offline_without_errors(open_map, name):
    p = open_map(name)
    if name == "index.html":
        assert p.page.locator("a").count() == 4
        assert p.requests and all(u.startswith("file:") for u in p.requests)
        return
    _assert_clean(p)
    assert p.page.locator(".leaflet-control-layers").count() == 1
    p.shot(name.removesuffix(".html"))


def test_overview_feature_counts(open_map):
    p = open_map("overview.html")
    expected = {
        "cities": 13,
        "demo_zone": len(load_layer("demo_zone")),
        "airports": len(load_layer("airports")),
        "ports": len(load_layer("ports")),
        "crossings": len(load_layer("crossings")),
        "context_provinces": len(load_layer("context_provinces")),
    }
    for net in ("rail", "expressway"):
        expected.update({k: v for k, v in _status_counts(net).items() if not k.endswith("_study")})
    for key, n in expected.items():
        assert p.count(key) == n, key
    # hidden by default, drawn once switched on
    assert p.count("counties") == 0
    p.toggle("县级行政区 Counties")
    assert p.count("counties") == 95
    assert p.page.locator(".jsplan-legend").is_visible()
    assert "图例 Legend" in p.page.locator(".jsplan-legend").inner_text()


def test_toggling_hides_features(open_map):
    p = open_map("overview.html")
    n = len(load_layer("airports"))
    p.toggle("机场 Airports")
    assert p.count("airports") == 0
    p.toggle("机场 Airports")
    assert p.count("airports") == n
    p.toggle("一体化示范区 Demonstration zone")
    assert p.count("demo_zone") == 0


@pytest.mark.parametrize("name", ["overview.html", "closeup_demo_zone.html"])
def test_popup_shows_escaped_text(open_map, name):
    p = open_map(name)
    # the first airport carries the hostile name; click it like a user would
    p.page.locator("path.jsplan-airports").first.dispatch_event("click")
    popup = p.page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible")
    text = popup.inner_text()
    assert EVIL in text
    assert "来源 Source" in text and "src " + EVIL in text
    assert popup.locator("script").count() == 0
    assert p.dialogs == []
    p.shot(f"popup_{name.removesuffix('.html')}")


def test_tooltip_is_text(open_map):
    p = open_map("overview.html")
    p.page.locator("path.jsplan-airports").first.hover(force=True)
    tip = p.page.locator(".leaflet-tooltip")
    tip.wait_for(state="visible")
    assert EVIL in tip.inner_text()
    assert tip.locator("script").count() == 0


def test_density_year_control_and_legend(open_map):
    p = open_map("density.html")
    assert p.count("density_rail_cities_2020") == 13
    assert p.count("density_rail_counties_2020") == 0
    p.toggle("铁路 · 县级 · 2020年 Rail · counties · 2020")
    assert p.count("density_rail_counties_2020") == 95
    assert p.count("density_rail_cities_2020") == 0  # exclusive: one layer at a time
    legends = p.page.locator(".legend")
    assert legends.count() == 2
    captions = " ".join(legends.all_inner_texts())
    assert "km/10000 km²" in captions and "km/100 km²" in captions and "target 550" in captions
    fills = p.page.eval_on_selector_all(
        "path.jsplan-density_rail_counties_2020", "els => els.map(e => e.getAttribute('fill'))"
    )
    assert len(set(fills)) > 5  # a real choropleth, not one colour
    p.shot("density_rail_counties_2020")


def test_density_popup_has_units(open_map):
    p = open_map("density.html")
    p.page.locator("path.jsplan-density_rail_cities_2020").first.dispatch_event("click")
    popup = p.page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible")
    text = popup.inner_text()
    assert "km per 10000 km2" in text and "目标 Target" in text
    city = load_layer("cities").iloc[0]
    assert city["name_zh"] in text


def test_closeups_draw_their_areas(open_map):
    p = open_map("closeup_demo_zone.html")
    assert p.count("demo_zone") == len(load_layer("demo_zone"))
    bounds = p.page.evaluate("jsplanMap.getBounds().toBBoxString()").split(",")
    west, south, east, north = map(float, bounds)
    x0, y0, x1, y1 = load_layer("demo_zone").total_bounds
    assert west < x0 and east > x1 and south < y0 and north > y1
    assert east - west < 3  # a close-up, not the province
    p = open_map("closeup_g42_corridor.html")
    assert p.count("g42_corridor") >= 1
    assert pd.notna(p.page.evaluate("jsplanLayers.g42_corridor.getBounds().getCenter().lat"))
