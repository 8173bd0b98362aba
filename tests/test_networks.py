"""The plan layers: schema, plan projects, published lengths, reconciliation, rebuild."""

from __future__ import annotations

import re
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from jsplan_gis import layers_dir, load_layer
from jsplan_gis.layers import layer_info
from jsplan_gis.build_networks import STATUSES, build_networks
from jsplan_gis.reconcile import reconcile

LINE_LAYERS = ["rail", "expressway"]
POINT_LAYERS = ["crossings", "airports", "ports"]
REQUIRED = ["id", "name_zh", "name_en", "status", "open_year", "source", "confidence"]


@pytest.mark.parametrize("name", LINE_LAYERS + POINT_LAYERS + ["crossing_lines"])
def test_schema(name):
    gdf = load_layer(name)
    assert gdf.crs.to_epsg() == 4326
    assert len(gdf) > 0
    for col in REQUIRED:
        if col == "open_year" and name == "ports":
            continue  # a port has areas of many ages; its status is what matters
        assert col in gdf.columns, col
    assert gdf["id"].is_unique
    assert gdf.geometry.is_valid.all() and (~gdf.geometry.is_empty).all()
    expected = {"Point"} if name in POINT_LAYERS else {"LineString"}
    assert set(gdf.geom_type) == expected
    assert gdf["status"].isin(STATUSES).all()
    if "open_year" in gdf.columns:
        years = gdf["open_year"].dropna()
        assert years.between(1900, 2040).all()
        # an operating feature has a past opening year
        op = gdf[gdf["status"] == "operating"]["open_year"].dropna()
        assert (op <= 2026).all()
    assert gdf["confidence"].isin(["high", "medium", "low"]).all()
    assert (gdf["source"].str.len() > 5).all()
    minx, miny, maxx, maxy = gdf.total_bounds
    assert 115 < minx and maxx < 123 and 29.5 < miny and maxy < 36


@pytest.mark.parametrize("name", LINE_LAYERS)
def test_lines_near_jiangsu(name):
    gdf = load_layer(name)
    prov = load_layer("province").geometry.iloc[0]
    # every section has a part in Jiangsu or ends within ~30 km of it
    import shapely

    d = shapely.distance(gdf.geometry.to_numpy(), prov) * 111
    assert (d < 30).all(), list(gdf.loc[d >= 30, "id"])


PLAN = pd.read_csv(layers_dir() / "plan_projects.csv", encoding="utf-8")


@pytest.mark.parametrize("row", list(PLAN.itertuples()), ids=list(PLAN["name_plan"]))
def test_every_plan_project_present(row):
    gdf = load_layer(row.layer)
    values = gdf[row.match_field].fillna("").astype(str)
    if row.match_field == "plan_project":
        # a token equals the plan's name, or spells it out ("宁马" -> "宁马高速公路江苏段改扩建")
        hit = values.str.split(r"\s*[;；]\s*").apply(
            lambda xs: any(x == row.match_value or x.startswith(row.match_value) for x in xs)
        )
    else:
        hit = values == row.match_value
    assert hit.any(), f"{row.name_plan} not in {row.layer}"
    assert row.name_plan.split("(")[0][:2] in row.quote


CHECKS = pd.read_csv(layers_dir() / "length_checks.csv", encoding="utf-8", keep_default_na=False,
                     dtype={"estimated": str, "notes": str})
# share of the operating network (km inside Jiangsu) confirmed by a published length within 5 %;
# floors measured on the shipped layers (README "Data quality"), so a regression fails
CONFIRMED_FLOOR_PCT = {"rail": 83.0, "expressway": 52.0}


@pytest.mark.parametrize("name", LINE_LAYERS)
def test_published_lengths_within_five_percent_unless_estimated(name):
    checks = CHECKS[CHECKS["network"] == name]
    assert len(checks) > 0
    sure = checks[checks["estimated"] == ""]
    bad = sure[sure["diff_pct"].abs() > 5]
    assert bad.empty, bad[["check_id", "measured_km", "published_length_km", "diff_pct"]].to_string()
    # an estimated feature says why
    gdf = load_layer(name)
    est = gdf[gdf["estimated"].fillna("") == "yes"]
    assert (est["notes"].fillna("").str.len() > 10).all()


@pytest.mark.parametrize("name", LINE_LAYERS)
def test_operating_sections_not_estimated_are_confirmed(name):
    """A section that is not marked estimated has a published-length check within 5 %."""
    gdf = load_layer(name)
    op = gdf[gdf["status"] == "operating"]
    sure = op[op["estimated"].fillna("") != "yes"]
    unconfirmed = sure[~(sure["length_check_diff_pct"].abs() <= 5)]
    assert unconfirmed.empty, unconfirmed[["id", "length_check", "length_check_diff_pct"]].to_string()
    km = op["length_jiangsu_km"]
    share = km[op["length_check_diff_pct"].abs() <= 5].sum() / km.sum() * 100
    assert share >= CONFIRMED_FLOOR_PCT[name], share


def test_length_columns_measure_the_geometry():
    from jsplan_gis import geodesic_length_km

    rail = load_layer("rail")
    np.testing.assert_allclose(rail["length_km"], geodesic_length_km(rail.geometry.values), atol=0.002)
    assert (rail["length_jiangsu_km"] <= rail["length_km"] + 1e-6).all()


NOTES = pd.read_csv(layers_dir() / "src" / "points" / "reconciliation_notes.csv", encoding="utf-8")


@pytest.mark.parametrize("name", LINE_LAYERS)
def test_reconciliation_with_official_statistics(name):
    """Within 5 % of the official mileage, or the difference is explained - and never above 10 %."""
    table = reconcile(name)
    assert len(table) >= 3
    report = table[["year", "official_km", "layer_km", "diff_pct"]].to_string()
    explained = set(NOTES.loc[NOTES["network"] == name, "year"])
    off = table[table["diff_pct"].abs() > 5]
    assert set(off["year"]) <= explained, report
    assert (table["diff_pct"].abs() <= 10).all(), report
    # an explanation quotes the size of the difference it explains
    for _, row in off.iterrows():
        text = NOTES.loc[(NOTES["network"] == name) & (NOTES["year"] == row["year"]), "explanation"].iloc[0]
        quoted = float(re.search(r"(\d+(?:\.\d+)?) %", text).group(1))
        assert quoted == pytest.approx(abs(row["diff_pct"]), abs=0.15), (row["year"], row["diff_pct"], text)
    if "hsr_diff_pct" in table:
        # the official high-speed sub-total against the layer's high-speed classes
        hsr = table.dropna(subset=["hsr_diff_pct"])
        assert len(hsr) >= 4
        off = hsr[hsr["hsr_diff_pct"].abs() > 5]
        assert set(off["year"]) <= explained, hsr[["year", "official_hsr_km", "layer_hsr_km", "hsr_diff_pct"]]


def test_shipped_layers_are_in_sync_with_their_sources(tmp_path):
    src = layers_dir()
    shutil.copytree(src / "src", tmp_path / "src")
    for region in ("province", "cities", "counties", "context_cities", "context_counties"):
        shutil.copy(src / f"{region}.geojson", tmp_path / f"{region}.geojson")
    counts = build_networks(tmp_path)
    for name in (n for n in counts if not n.endswith(".csv")):
        built = gpd.read_file(tmp_path / f"{name}.geojson")
        shipped = load_layer(name)
        key = layer_info(name)["id_field"]
        assert list(built[key]) == list(shipped[key]), name
        assert built.geometry.geom_equals_exact(shipped.geometry, tolerance=1e-6).all(), name
    built_checks = pd.read_csv(tmp_path / "length_checks.csv", encoding="utf-8", keep_default_na=False,
                               dtype={"estimated": str, "notes": str})
    pd.testing.assert_frame_equal(built_checks, CHECKS)


def test_g42_alignment_and_corridor():
    import shapely

    from jsplan_gis.build_plan_areas import g42_corridor

    line = load_layer("g42_alignment").geometry.iloc[0]
    cities = load_layer("cities").set_index("name_zh")
    for city in ("苏州市", "无锡市", "常州市", "镇江市", "南京市"):
        assert shapely.intersects(line, cities.geometry[city]), city
    for city in ("南通市", "徐州市"):
        assert not shapely.intersects(line, cities.geometry[city]), city
    # it reaches the Shanghai boundary in the east
    sh = load_layer("context_provinces").set_index("code").geometry["310000"]
    assert shapely.distance(line, sh) * 111 < 2
    corridor = load_layer("g42_corridor").iloc[0]
    assert corridor["buffer_km"] == 10
    # about 2 x 10 km x 300 km, less what falls outside the province
    assert 4500 < corridor["area_km2"] < 6500
    counties = load_layer("g42_counties")
    assert counties["on_alignment"].sum() >= 15
    assert counties["corridor_share"].between(0, 1).all()
    # the width is a parameter: a 5 km corridor is about half as large
    half = g42_corridor(load_layer("expressway"), load_layer("province").geometry.iloc[0],
                        load_layer("counties"), buffer_km=5)[1]
    assert half["area_km2"].iloc[0] == pytest.approx(corridor["area_km2"] / 2, rel=0.1)


def test_metro_areas_are_complete():
    m = load_layer("metro_areas").set_index("id")
    assert m["complete"].all()
    assert {"nanjing_mc", "sxc_mc", "xuzhou_mc", "ninghang_eb", "canal_cb", "coastal_eb", "huaihe_eeb"} <= set(m["area_id"])
    # 南京都市圈 core planning area: about 2.7万 km² in the 2021 plan
    assert m.loc["nanjing_mc:core_planning_area", "area_km2"] == pytest.approx(27000, rel=0.03)
    assert (m["definition_source"].str.len() > 10).all()


@pytest.mark.parametrize("network", LINE_LAYERS)
def test_every_source_node_is_used(network):
    """No orphan coordinates in the source tables: every node lies on some section."""
    from jsplan_gis.build_networks import _read_csvs

    folder = layers_dir() / "src" / network
    used = set(" ".join(_read_csvs(folder, "*sections.csv")["nodes"]).split())
    nodes = _read_csvs(folder, "*nodes.csv")
    orphans = sorted(set(nodes["node_id"]) - used)
    assert not orphans, orphans[:20]
