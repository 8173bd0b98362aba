"""network_density: hand-computable synthetic cases and end-to-end runs on shipped layers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely import LineString, MultiLineString, box

from jsplan_gis import (
    CRSMismatchError,
    EmptyLayerError,
    GeometryError,
    UnknownNameError,
    geodesic_length_km,
    load_layer,
    network_density,
)
from jsplan_gis.measure import equal_area_km2


def km(*coords):
    return float(geodesic_length_km([LineString(coords)])[0])


def test_line_cut_at_boundaries(two_boxes, crossing_line):
    out = network_density(crossing_line, two_boxes, area_basis="polygon").set_index("code")
    assert out.loc["A", "length_km"] == pytest.approx(km((119.0, 32.05), (119.1, 32.05)), rel=1e-9)
    assert out.loc["B", "length_km"] == pytest.approx(km((119.1, 32.05), (119.2, 32.05)), rel=1e-9)
    area_a = equal_area_km2([box(119.0, 32.0, 119.1, 32.1)])[0]
    assert out.loc["A", "area_km2"] == pytest.approx(area_a)
    assert out.loc["A", "density_km_per_100_km2"] == pytest.approx(out.loc["A", "length_km"] / area_a * 100)
    assert out.loc["A", "area_basis"] == "polygon"


def test_target_columns(two_boxes, crossing_line):
    out = network_density(crossing_line, two_boxes, target="rail", area_basis="polygon").set_index("code")
    d = out.loc["A", "length_km"] / out.loc["A", "area_km2"] * 10000
    assert out.loc["A", "density_km_per_10000_km2"] == pytest.approx(d)
    assert out.loc["A", "target_km_per_10000_km2"] == 550
    assert out.loc["A", "attainment_ratio"] == pytest.approx(d / 550)
    need = 550 * out.loc["A", "area_km2"] / 10000 - out.loc["A", "length_km"]
    assert out.loc["A", "gap_km"] == pytest.approx(max(need, 0))
    assert out.loc["A", "gap_km_per_10000_km2"] == pytest.approx(550 - d)


def test_target_reached_has_zero_gap(two_boxes):
    lines = gpd.GeoDataFrame(
        geometry=[LineString([(119.0 + i * 0.001, 32.0), (119.0 + i * 0.001, 32.1)]) for i in range(1, 100)],
        crs=4326,
    )
    out = network_density(lines, two_boxes, target="0.5 km/km2", area_basis="polygon").set_index("code")
    assert out.loc["A", "attainment_ratio"] > 1
    assert out.loc["A", "gap_km"] == 0


def test_line_along_shared_boundary_counts_for_both_but_once_in_aggregate(two_boxes):
    regions = two_boxes.assign(group=["central", "north"])
    line = gpd.GeoDataFrame(geometry=[LineString([(119.1, 32.02), (119.1, 32.08)])], crs=4326)
    out = network_density(line, regions, area_basis="polygon").set_index("code")
    expected = km((119.1, 32.02), (119.1, 32.08))
    assert out.loc["A", "length_km"] == pytest.approx(expected, rel=1e-9)
    assert out.loc["B", "length_km"] == pytest.approx(expected, rel=1e-9)
    assert out.loc["jiangsu", "length_km"] == pytest.approx(expected, rel=1e-9)
    assert out.loc["jiangsu", "area_km2"] == pytest.approx(out.loc[["A", "B"], "area_km2"].sum(), rel=1e-6)


def test_aggregates_for_jiangsu_groups(two_boxes, crossing_line):
    regions = two_boxes.assign(group=["central", "north"], area_official_km2=[100.0, 200.0])
    out = network_density(crossing_line, regions).set_index("code")
    assert list(out.index) == ["A", "B", "central_area", "north", "jiangsu"]
    assert out.loc["jiangsu", "area_km2"] == 300.0
    assert out.loc["jiangsu", "area_basis"] == "official"
    assert out.loc["jiangsu", "length_km"] == pytest.approx(out.loc[["A", "B"], "length_km"].sum(), rel=1e-6)
    assert out.loc["central_area", "length_km"] == pytest.approx(out.loc["A", "length_km"], rel=1e-9)
    assert (out.loc[["A", "B"], "level"] != "aggregate").all()
    no_agg = network_density(crossing_line, regions, aggregates=False)
    assert len(no_agg) == 2


def test_overlapping_regions_reported_on_their_own(crossing_line):
    regions = gpd.GeoDataFrame(
        {"code": ["big", "small"]},
        geometry=[box(119.0, 32.0, 119.2, 32.1), box(119.05, 32.0, 119.1, 32.1)],
        crs=4326,
    )
    out = network_density(crossing_line, regions, area_basis="polygon").set_index("code")
    assert out.loc["big", "length_km"] == pytest.approx(km((119.0, 32.05), (119.2, 32.05)), rel=1e-9)
    assert out.loc["small", "length_km"] == pytest.approx(km((119.05, 32.05), (119.1, 32.05)), rel=1e-9)
    assert len(out) == 2  # no aggregate row without the Jiangsu group field


def test_official_basis_falls_back_to_land(two_boxes, crossing_line):
    regions = two_boxes.assign(area_official_km2=[50.0, np.nan])
    out = network_density(crossing_line, regions).set_index("code")
    assert out.loc["A", "area_basis"] == "official" and out.loc["A", "area_km2"] == 50.0
    assert out.loc["B", "area_basis"] == "land"
    assert out.loc["B", "area_km2"] == pytest.approx(out.loc["B", "area_land_km2"])


def test_no_line_in_region_gives_zero(two_boxes):
    far = gpd.GeoDataFrame(geometry=[LineString([(120, 33), (120.1, 33)])], crs=4326)
    out = network_density(far, two_boxes, target="rail")
    assert (out["length_km"] == 0).all()
    assert (out["attainment_ratio"] == 0).all()


def test_multilines_and_projected_input(two_boxes):
    ml = MultiLineString([[(119.01, 32.01), (119.09, 32.01)], [(119.11, 32.01), (119.19, 32.01)]])
    lines = gpd.GeoDataFrame(geometry=[ml], crs=4326)
    a = network_density(lines, two_boxes, area_basis="polygon")
    b = network_density(lines.to_crs(4549), two_boxes.to_crs(32650), area_basis="polygon")
    np.testing.assert_allclose(a["length_km"], b["length_km"], rtol=1e-6)
    np.testing.assert_allclose(a["area_km2"], b["area_km2"], rtol=1e-6)


def test_input_not_modified(two_boxes, crossing_line):
    before = crossing_line.copy()
    network_density(crossing_line, two_boxes)
    assert crossing_line.equals(before)


@pytest.mark.parametrize(
    "make, err, match",
    [
        (lambda n, r: (n.set_crs(None, allow_override=True), r), CRSMismatchError, "has no CRS"),
        (lambda n, r: (n.iloc[0:0], r), EmptyLayerError, "no features"),
        (lambda n, r: (r, r), GeometryError, "must contain lines"),
        (lambda n, r: (n, n), GeometryError, "must contain polygons"),
        (lambda n, r: (n.set_geometry([LineString()]), r), GeometryError, "1 empty geometry"),
        (lambda n, r: (n.set_geometry([None]), r), GeometryError, "1 missing geometry"),
    ],
)
def test_bad_inputs(two_boxes, crossing_line, make, err, match):
    net, reg = make(crossing_line, two_boxes)
    with pytest.raises(err, match=match):
        network_density(net, reg)


def test_projected_coordinates_labelled_as_degrees(two_boxes, crossing_line):
    bad = crossing_line.to_crs(4549).set_crs(4326, allow_override=True)
    with pytest.raises(CRSMismatchError, match="look\\s*like projected metres"):
        network_density(bad, two_boxes)


def test_degrees_labelled_as_projected(two_boxes, crossing_line):
    bad = crossing_line.set_crs(4549, allow_override=True)
    with pytest.raises(CRSMismatchError, match="area of use"):
        network_density(bad, two_boxes)


def test_swapped_lat_lon(two_boxes, crossing_line):
    import shapely

    swapped = crossing_line.set_geometry(shapely.transform(crossing_line.geometry.values, lambda xy: xy[:, ::-1]))
    with pytest.raises(CRSMismatchError, match="swapped"):
        network_density(swapped, two_boxes)


def test_invalid_polygon_and_drop_invalid(two_boxes, crossing_line):
    bowtie = LineString([(119.0, 32.0), (119.1, 32.1), (119.1, 32.0), (119.0, 32.1)])
    from shapely import Polygon

    regions = two_boxes.copy()
    regions.loc[2] = ["C", "丙", "C", Polygon(bowtie.coords)]
    with pytest.raises(GeometryError, match="1 invalid geometry .*Self-intersection"):
        network_density(crossing_line, regions)
    out = network_density(crossing_line, regions, drop_invalid=True)
    assert list(out["code"]) == ["A", "B"]


def test_unknown_target_and_field(two_boxes, crossing_line):
    with pytest.raises(UnknownNameError, match="known density targets: .*rail"):
        network_density(crossing_line, two_boxes, target="railway")
    with pytest.raises(UnknownNameError, match="no field 'nope'; available fields: code"):
        network_density(crossing_line, two_boxes, region_field="nope")


def test_gcj02_datum_option(two_boxes, crossing_line):
    from jsplan_gis.crs import wgs84_to_gcj02_geometry

    g_lines = crossing_line.set_geometry(wgs84_to_gcj02_geometry(crossing_line.geometry.values))
    g_regs = two_boxes.set_geometry(wgs84_to_gcj02_geometry(two_boxes.geometry.values))
    a = network_density(crossing_line, two_boxes, area_basis="polygon")
    b = network_density(g_lines, g_regs, area_basis="polygon", datum="gcj02")
    np.testing.assert_allclose(a["length_km"], b["length_km"], rtol=1e-7)


# ---- end to end on the shipped layers ---------------------------------------------------


def test_shipped_cities_with_a_synthetic_network():
    """A meridian from the north to the south of Jiangsu, cut by the real city boundaries."""
    line = gpd.GeoDataFrame(geometry=[LineString([(119.5, 30.5), (119.5, 35.5)])], crs=4326)
    out = network_density(line, load_layer("cities"), target="expressway").set_index("code")
    prov = load_layer("province").geometry.iloc[0]
    inside = geodesic_length_km([line.geometry.iloc[0].intersection(prov)])[0]
    members = out[out["level"] == "city"]
    assert members["length_km"].sum() == pytest.approx(inside, rel=1e-6)
    assert out.loc["jiangsu", "length_km"] == pytest.approx(inside, rel=1e-6)
    assert out.loc["jiangsu", "area_km2"] == pytest.approx(members["area_km2"].sum())
    assert (out["area_basis"] == "official").all()
    assert set(out.loc[out["length_km"] > 0].index) >= {"321100", "321000", "320800"}  # 镇江 扬州 淮安
