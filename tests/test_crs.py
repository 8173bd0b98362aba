"""GCJ-02 conversion against an independent reference and against the OSM coastline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from jsplan_gis import load_layer
from jsplan_gis.crs import gcj02_to_wgs84, wgs84_to_gcj02, wgs84_to_gcj02_geometry

GEOD = Geod(ellps="WGS84")
REF = pd.read_csv(Path(__file__).parent / "data" / "gcj02_reference.csv", comment="#")


@pytest.mark.parametrize("row", list(REF.itertuples()), ids=list(REF["place"]))
def test_forward_matches_reference(row):
    lon, lat = wgs84_to_gcj02(row.wgs_lon, row.wgs_lat)
    _, _, d = GEOD.inv(lon, lat, row.gcj_lon, row.gcj_lat)
    assert d < 0.01  # metres


@pytest.mark.parametrize("row", list(REF.itertuples()), ids=list(REF["place"]))
def test_inverse_is_sub_metre_and_one_step_is_not(row):
    lon, lat = gcj02_to_wgs84(row.gcj_lon, row.gcj_lat)
    _, _, d = GEOD.inv(lon, lat, row.wgs_lon, row.wgs_lat)
    assert d < 0.01
    # the naive one-step inverse (subtract the shift evaluated at the GCJ point) is metres off
    glon, glat = wgs84_to_gcj02(row.gcj_lon, row.gcj_lat)
    one_lon, one_lat = 2 * row.gcj_lon - glon, 2 * row.gcj_lat - glat
    _, _, d1 = GEOD.inv(one_lon, one_lat, row.wgs_lon, row.wgs_lat)
    assert d1 > 0.1 and d1 > 100 * d


@settings(max_examples=200, deadline=None)
@given(st.floats(116.0, 122.5), st.floats(30.5, 35.5))
def test_round_trip_in_jiangsu(lon, lat):
    glon, glat = wgs84_to_gcj02(lon, lat)
    # the shift in Jiangsu is a few hundred metres east and south
    _, _, shift = GEOD.inv(lon, lat, glon, glat)
    assert 300 < shift < 700
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    _, _, err = GEOD.inv(lon, lat, wlon, wlat)
    assert err < 1e-3


def test_outside_china_unchanged():
    lon, lat = wgs84_to_gcj02(np.array([2.35, 139.9]), np.array([48.85, 35.0]))
    assert np.allclose(lon, [2.35, 139.9]) and np.allclose(lat, [48.85, 35.0])


def test_islands_sit_on_the_osm_coastline_after_conversion():
    """Independent check of the datum conversion on real data.

    Zhejiang's ~100 islands appear both in the AMap boundaries (GCJ-02 at source, converted
    at build time) and in the OpenStreetMap land mask (WGS84), two independent surveys. Matched
    island by island, the converted outlines sit on the OSM ones (median offset ~10 m), while
    shifted back to GCJ-02 they would be off by the well-known (+0.0043°, -0.0026°).
    """
    from jsplan_gis.measure import equal_area_km2

    ctx = load_layer("context_provinces")
    zj = ctx.loc[ctx["code"] == "330000"].geometry.iloc[0]
    land = load_layer("land").geometry.iloc[0]
    parts = np.asarray(shapely.get_parts(zj))
    area = equal_area_km2(parts)
    islands = parts[(area > 0.3) & (area < 100)]
    land_parts = np.asarray(shapely.get_parts(land))
    land_area = equal_area_km2(land_parts)
    tree = shapely.STRtree(land_parts)
    offsets = []
    for isl in islands:  # ~100 islands: a test, not a hot path
        cand = tree.query(shapely.buffer(isl, 0.01), predicate="intersects")
        ratio = land_area[cand] / equal_area_km2([isl])[0]
        match = cand[(ratio > 0.7) & (ratio < 1.4)]
        if len(match) != 1:
            continue
        mine = shapely.centroid(isl)
        osm = shapely.centroid(land_parts[match[0]])
        gcj = wgs84_to_gcj02_geometry(np.array([mine]))[0]
        offsets.append((mine.x - osm.x, mine.y - osm.y, gcj.x - osm.x, gcj.y - osm.y))
    off = np.median(np.array(offsets), axis=0)
    assert len(offsets) > 50
    assert abs(off[0]) < 0.0003 and abs(off[1]) < 0.0003  # < ~30 m
    assert off[2] == pytest.approx(0.0043, abs=0.0005)
    assert off[3] == pytest.approx(-0.0026, abs=0.0005)
