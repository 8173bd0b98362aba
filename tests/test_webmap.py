"""Fast web-map tests (no browser): escaping, no remote assets, sizes, basemaps, API and CLI."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import folium
import numpy as np
import pandas as pd
import pytest
import shapely
from _webmap_helpers import EVIL, build_all, evil_airport

import jsplan_gis.webmap as wm
from jsplan_gis import InputError, UnknownNameError, load_layer
from jsplan_gis._offline import (
    ASSETS,
    OfflineAssetError,
    assert_offline,
    inline_assets,
    make_offline,
    remote_references,
    static_dir,
)
from jsplan_gis.cli_map import map_command
from jsplan_gis.crs import wgs84_to_gcj02

MB = 1_000_000


@pytest.fixture(scope="module")
def maps_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("maps")
    build_all(folder)
    return folder


def _geojson_blocks(page: str) -> list[dict]:
    """Return the GeoJSON FeatureCollections embedded in a folium page."""
    return [json.loads(m.group(1)) for m in re.finditer(r"_add\((\{\"features\".*?\})\);\n", page, re.S)]


# --------------------------------------------------------------------------- offline assets
def test_every_vendored_asset_is_shipped():
    for rel in ASSETS.values():
        assert (static_dir() / rel).is_file(), rel
    assert (static_dir() / "ASSETS.md").is_file()
    assert (static_dir() / "fetch_assets.sh").is_file()


@pytest.mark.parametrize(
    "name",
    ["overview.html", "density.html", "closeup_demo_zone.html", "closeup_g42_corridor.html", "index.html"],
)
def test_written_maps_reference_nothing_remote(maps_dir, name):
    page = (maps_dir / name).read_text(encoding="utf-8")
    assert remote_references(page) == []
    assert "cdn.jsdelivr" not in page and "cdnjs" not in page and "code.jquery" not in page


def test_plain_folium_map_made_offline_in_notebooks():
    m = make_offline(folium.Map(tiles=None))
    notebook_html = m._repr_html_()
    assert "cdn." not in html.unescape(notebook_html)
    assert "L.map(" in html.unescape(notebook_html)


def test_awesome_marker_icons_are_inlined():
    m = make_offline(folium.Map(tiles=None))
    folium.Marker([32, 119], icon=folium.Icon(prefix="fa", icon="plane")).add_to(m)
    page = m.get_root().render()
    assert "L.AwesomeMarkers" in page and "font/woff2;base64" in page
    assert remote_references(page) == []


def test_glyphicon_icons_fail_loudly():
    m = make_offline(folium.Map(tiles=None))
    folium.Marker([32, 119], icon=folium.Icon(icon="info-sign")).add_to(m)
    with pytest.raises(OfflineAssetError, match="glyphicon.*prefix='fa'"):
        m.get_root().render()


def test_unknown_remote_asset_fails_loudly():
    page = '<html><head><script src="https://example.org/lib.js"></script></head></html>'
    with pytest.raises(OfflineAssetError, match="example.org/lib.js"):
        inline_assets(page)
    with pytest.raises(OfflineAssetError, match="//example.org/x.css"):
        assert_offline('<link rel="stylesheet" href="//example.org/x.css"/>')
    with pytest.raises(OfflineAssetError, match="font.woff"):
        assert_offline("<style>@font-face{src:url(https://example.org/font.woff)}</style>")


def test_tile_template_allowed_only_when_chosen():
    page = 'L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {})'
    with pytest.raises(OfflineAssetError, match="openstreetmap"):
        assert_offline(page)
    assert_offline(page, allowed_tiles=["https://tile.openstreetmap.org/{z}/{x}/{y}.png"])


def test_urls_in_data_text_are_not_assets():
    assert remote_references("<div>source: https://example.org/report.pdf</div>") == []


# --------------------------------------------------------------------------- escaping
def test_popup_html_escapes_everything():
    df = pd.DataFrame({"name_zh": [EVIL], "name_en": ["a&b"], "source": [EVIL], "n": [1234.5]})
    out = wm.popup_html(df, [("source", "来源", "Source"), ("n", "数", "N")]).iloc[0]
    assert "<script>" not in out and "`${x}" in out
    assert html.escape(EVIL, quote=True) in out
    assert "a&amp;b" in out and "1,234.5" in out


def test_hostile_name_never_reaches_the_page_raw(maps_dir):
    for name in ("overview.html", "closeup_demo_zone.html"):
        page = (maps_dir / name).read_text(encoding="utf-8")
        assert "alert(1)</script>" not in page
        props = [f["properties"] for block in _geojson_blocks(page) for f in block["features"]]
        popups = [p.get("popup", "") for p in props if EVIL in html.unescape(p.get("popup", ""))]
        assert popups, "the hostile airport should be on the map"
        for p in popups:
            assert "<script>" not in p and "&lt;script&gt;" in p and "&quot;" in p and "&#x27;" in p


# --------------------------------------------------------------------------- content
def test_overview_layers_and_counts(maps_dir):
    page = (maps_dir / "overview.html").read_text(encoding="utf-8")
    for key in (
        "cities",
        "counties",
        "demo_zone",
        "rail_operating",
        "expressway_operating",
        "crossings",
        "airports",
        "ports",
    ):
        assert f'"{key}":' in page, key
    assert "jsplan-legend" in page
    sizes = [len(block["features"]) for block in _geojson_blocks(page)]
    assert 13 in sizes and 95 in sizes and len(load_layer("airports")) in sizes


def test_overview_without_coming_layers(monkeypatch):
    names = [n for n in wm.layer_names() if n not in ("g42_corridor", "g42_alignment", "metro_areas")]
    monkeypatch.setattr(wm, "layer_names", lambda: names)
    m = wm.overview_map()
    page = m.get_root().render()
    assert '"g42_corridor":' not in page and '"metro_areas":' not in page
    assert '"cities":' in page
    with pytest.raises(UnknownNameError, match="g42_corridor.*not shipped"):
        wm.closeup_map("g42_corridor")


def test_density_colormap_centred_on_target():
    cm = wm.diverging_colormap(5.1, "km per 100 km2", "高速公路网密度", "Expressway")
    assert cm(5.1).startswith("#f7f7f7")
    assert cm.vmin == 0 and cm.vmax == pytest.approx(10.2)
    assert "km/100 km²" in cm.caption and "5.1" in cm.caption
    lo, hi = cm(1.0), cm(9.0)
    assert lo[1:3] > lo[5:7] and hi[5:7] > hi[1:3]  # red below the target, blue above


def test_density_map_layers(maps_dir):
    page = (maps_dir / "density.html").read_text(encoding="utf-8")
    assert "exclusiveGroups" in page
    for key in ("density_rail_cities_2020", "density_rail_counties_2025", "density_expressway_cities_2020"):
        assert f'"{key}":' in page
    assert "km/10000 km" in page and "km/100 km" in page  # captions (JSON-escaped ²)


def test_density_single_year():
    page = wm.density_map(year=2022).get_root().render()
    assert '"density_rail_cities_2022":' in page and "2020" not in re.findall(
        r'"density_rail_cities_(\d+)"', page
    )


def test_simplified_and_rounded(maps_dir):
    page = (maps_dir / "overview.html").read_text(encoding="utf-8")
    coords = np.concatenate(
        [
            shapely.get_coordinates(shapely.from_geojson(json.dumps(f["geometry"])))
            for block in _geojson_blocks(page)
            for f in block["features"]
        ]
    )
    assert np.allclose(coords, np.round(coords, 4), atol=1e-9)
    cities = next(b for b in _geojson_blocks(page) if len(b["features"]) == 13)
    n_display = sum(
        len(shapely.get_coordinates(shapely.from_geojson(json.dumps(f["geometry"]))))
        for f in cities["features"]
    )
    assert n_display < 0.5 * len(shapely.get_coordinates(load_layer("cities").geometry.values))


# --------------------------------------------------------------------------- basemaps
def test_basemap_osm_and_template():
    page = wm.overview_map(basemap="osm").get_root().render()
    assert "tile.openstreetmap.org" in page
    url = "https://intranet.example/tiles/{z}/{x}/{y}.png"
    page = wm.closeup_map("demo_zone", basemap=url, attribution="内网").get_root().render()
    assert remote_references(page, allowed_tiles=[url]) == []
    assert url in page


def test_gaode_basemap_shifts_display_copies():
    plain = _geojson_blocks(wm.closeup_map("demo_zone").get_root().render())
    shifted_page = wm.closeup_map("demo_zone", basemap="gaode").get_root().render()
    shifted = _geojson_blocks(shifted_page)
    assert "GCJ-02" in shifted_page
    # the airports block: same features, coordinates moved by the GCJ-02 offset (~500 m)
    a = next(b for b in plain if b["features"] and b["features"][0]["geometry"]["type"] == "Point")
    b = next(b for b in shifted if b["features"] and b["features"][0]["geometry"]["type"] == "Point")
    (x0, y0), (x1, y1) = (
        a["features"][0]["geometry"]["coordinates"],
        b["features"][0]["geometry"]["coordinates"],
    )
    ex, ey = wgs84_to_gcj02(x0, y0)
    assert (x1, y1) == pytest.approx((float(ex), float(ey)), abs=2e-5)
    assert abs(x1 - x0) > 1e-3


@pytest.mark.parametrize("bad", ["google", "ftp://x/{z}/{x}/{y}", "https://x/tiles.png", ""])
def test_bad_basemap(bad):
    with pytest.raises(InputError, match="unknown basemap"):
        wm.overview_map(basemap=bad)


def test_bad_datum():
    with pytest.raises(InputError, match="datum"):
        wm.overview_map(basemap="https://x/{z}/{x}/{y}.png", basemap_datum="bd09")


# --------------------------------------------------------------------------- writing, sizes, CLI
def test_write_maps_writes_index_and_sizes(maps_dir):
    files = sorted(p.name for p in maps_dir.iterdir())
    assert files == [
        "closeup_demo_zone.html",
        "closeup_g42_corridor.html",
        "density.html",
        "index.html",
        "overview.html",
    ]
    index = (maps_dir / "index.html").read_text(encoding="utf-8")
    for name in files:
        assert (f'href="{name}"' in index) == (name != "index.html")
    sizes = {p.name: p.stat().st_size for p in maps_dir.glob("*.html")}
    assert sizes["overview.html"] < 5 * MB
    assert max(sizes.values()) < 8 * MB
    assert not list(maps_dir.glob(".*"))  # no temporary file left


def test_map_command_single_map(tmp_path):
    written = map_command(tmp_path / "out", "demo_zone", None, "none")
    assert [p.name for p in written] == ["closeup_demo_zone.html", "index.html"]
    assert 'href="closeup_demo_zone.html"' in written[-1].read_text(encoding="utf-8")


def test_map_command_errors(tmp_path):
    with pytest.raises(UnknownNameError, match="unknown map 'nope'; choose one of overview"):
        map_command(tmp_path, "nope", None, "none")
    with pytest.raises(InputError, match="unknown basemap 'bing'"):
        map_command(tmp_path, None, None, "bing")
    with pytest.raises(InputError, match="year 20 is out of range"):
        map_command(tmp_path, "density", 20, "none")
    assert not list(tmp_path.iterdir())


def test_closeup_unknown():
    with pytest.raises(UnknownNameError, match="unknown close-up"):
        wm.closeup_map("suzhou")


def test_api_returns_maps_and_keeps_layers_untouched():
    before = load_layer("cities")
    with evil_airport():
        m = wm.overview_map()
    assert isinstance(m, folium.Map)
    after = load_layer("cities")
    assert np.array_equal(shapely.to_wkb(before.geometry.values), shapely.to_wkb(after.geometry.values))
    assert EVIL not in set(load_layer("airports")["name_zh"])
