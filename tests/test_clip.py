"""Tests of the density kernel :mod:`jsplan_gis._clip`.

Geometry is tiny and synthetic, in lon/lat degrees near Jiangsu, with answers computed by hand:
the expected length is :func:`jsplan_gis.measure.geodesic_length_km` of the line clipped by
hand. The property test compares the kernel with the ``geopandas.overlay`` reference it
replaces.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely import LineString, MultiLineString, Polygon, box

from jsplan_gis._clip import length_by_region, pieces_by_region
from jsplan_gis.measure import geodesic_length_km

WEST = box(119.0, 32.0, 120.0, 33.0)  # two unit boxes sharing the meridian 120 E
EAST = box(120.0, 32.0, 121.0, 33.0)


def km(*coords: tuple[float, float]) -> float:
    """Geodesic length of the polyline through ``coords``, in km."""
    return float(geodesic_length_km([LineString(coords)])[0])


def overlay_km(lines, regions) -> np.ndarray:
    """Sum per region the geodesic length (km) of the pieces ``geopandas.overlay`` cuts."""
    left = gpd.GeoDataFrame({"line": np.arange(len(lines))}, geometry=list(lines), crs=4326)
    right = gpd.GeoDataFrame({"region": np.arange(len(regions))}, geometry=list(regions), crs=4326)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "keep_geom_type dropped points"
        pieces = gpd.overlay(left, right, how="intersection", keep_geom_type=True)
    return np.bincount(
        pieces["region"].to_numpy(dtype=int),
        weights=geodesic_length_km(pieces.geometry.values),
        minlength=len(regions),
    )


def test_line_wholly_inside():
    line = LineString([(119.2, 32.2), (119.5, 32.6), (119.8, 32.3)])
    got = length_by_region([line], [WEST, EAST])
    assert got[0] == pytest.approx(km(*line.coords), rel=1e-12)
    assert got[1] == 0.0


def test_line_crossing_one_boundary():
    got = length_by_region([LineString([(119.5, 32.5), (120.5, 32.5)])], [WEST])
    assert got[0] == pytest.approx(km((119.5, 32.5), (120.0, 32.5)), rel=1e-12)


def test_line_crossing_two_regions_diagonally():
    # crosses 120 E at t = 0.5, i.e. at (120, 32.5) in the lon/lat plane
    line = LineString([(119.5, 32.2), (120.5, 32.8)])
    got = length_by_region([line], [WEST, EAST])
    assert got[0] == pytest.approx(km((119.5, 32.2), (120.0, 32.5)), rel=1e-12)
    assert got[1] == pytest.approx(km((120.0, 32.5), (120.5, 32.8)), rel=1e-12)


def test_line_crossing_through_a_boundary_vertex():
    # enters WEST exactly through its south-west corner (119, 32)
    line = LineString([(118.5, 31.5), (119.5, 32.5)])
    got = length_by_region([line], [WEST])
    assert got[0] == pytest.approx(km((119.0, 32.0), (119.5, 32.5)), rel=1e-12)


def test_line_with_a_vertex_on_the_boundary():
    line = LineString([(119.5, 32.5), (120.0, 32.6), (120.5, 32.5)])
    got = length_by_region([line], [WEST, EAST])
    assert got[0] == pytest.approx(km((119.5, 32.5), (120.0, 32.6)), rel=1e-12)
    assert got[1] == pytest.approx(km((120.0, 32.6), (120.5, 32.5)), rel=1e-12)


def test_line_along_shared_boundary_counts_for_both():
    line = LineString([(120.0, 32.2), (120.0, 32.8)])
    got = length_by_region([line], [WEST, EAST])
    expected = km((120.0, 32.2), (120.0, 32.8))
    assert got == pytest.approx([expected, expected], rel=1e-12)


def test_line_made_of_boundary_vertices():
    # WEST's south and east edges, vertex for vertex; EAST shares the east edge and touches
    # the south one at (120, 32) only
    line = LineString([(119.0, 32.0), (120.0, 32.0), (120.0, 33.0)])
    got = length_by_region([line], [WEST, EAST])
    assert got[0] == pytest.approx(km(*line.coords), rel=1e-12)
    assert got[1] == pytest.approx(km((120.0, 32.0), (120.0, 33.0)), rel=1e-12)


def test_line_through_boundary_vertices_collinear_in_decimal_only():
    # (119.05, 32.05) is on the segment in decimal, not in binary: GEOS's overlay nodes the
    # segment there and the piece becomes the triangle's hypotenuse; so does the kernel
    line = LineString([(119.0, 32.0), (119.1, 32.1)])
    triangle = Polygon([(119.0, 32.0), (119.0, 32.05), (119.05, 32.05)])
    got = length_by_region([line], [triangle])
    assert got == pytest.approx(overlay_km([line], [triangle]), rel=1e-12)
    assert got[0] == pytest.approx(km((119.0, 32.0), (119.05, 32.05)), rel=1e-9)


def test_line_partly_along_boundary_and_beyond():
    # runs along WEST's north edge from 119.5 to 120, then on along EAST's north edge, then
    # leaves the boundary northwards: closed sets, both boxes get their stretch of edge
    line = LineString([(119.5, 33.0), (120.5, 33.0), (120.5, 33.5)])
    got = length_by_region([line], [WEST, EAST])
    assert got[0] == pytest.approx(km((119.5, 33.0), (120.0, 33.0)), rel=1e-12)
    assert got[1] == pytest.approx(km((120.0, 33.0), (120.5, 33.0)), rel=1e-12)


def test_overlapping_regions_each_get_full_length():
    a, b = box(119.0, 32.0, 119.6, 32.6), box(119.4, 32.0, 120.0, 32.6)
    line = LineString([(119.1, 32.3), (119.9, 32.3)])
    got = length_by_region([line], [a, b])
    assert got[0] == pytest.approx(km((119.1, 32.3), (119.6, 32.3)), rel=1e-12)
    assert got[1] == pytest.approx(km((119.4, 32.3), (119.9, 32.3)), rel=1e-12)


def test_region_with_hole():
    ring = Polygon(
        [(119, 32), (120, 32), (120, 33), (119, 33)],
        holes=[[(119.4, 32.4), (119.6, 32.4), (119.6, 32.6), (119.4, 32.6)]],
    )
    got = length_by_region([LineString([(119.2, 32.5), (119.8, 32.5)])], [ring])
    expected = km((119.2, 32.5), (119.4, 32.5)) + km((119.6, 32.5), (119.8, 32.5))
    assert got[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "line",
    [
        LineString([(119.5, 32.5), (119.5, 32.5)]),  # zero length
        LineString(),  # empty
        None,  # missing
    ],
    ids=["zero-length", "empty", "missing"],
)
def test_degenerate_lines_contribute_nothing(line):
    good = LineString([(119.2, 32.5), (119.4, 32.5)])
    got = length_by_region([line, good], [WEST])
    assert got[0] == pytest.approx(km(*good.coords), rel=1e-12)
    line_idx, _, _ = pieces_by_region([line, good], [WEST])
    assert line_idx.tolist() == [1]


@pytest.mark.parametrize("empty", [Polygon(), None], ids=["empty", "missing"])
def test_empty_region_gets_zero(empty):
    line = LineString([(119.5, 32.5), (120.5, 32.5)])
    got = length_by_region([line], [empty, WEST])
    assert got[0] == 0.0
    assert got[1] == pytest.approx(km((119.5, 32.5), (120.0, 32.5)), rel=1e-12)


def test_multilinestring():
    inside = [(119.2, 32.2), (119.3, 32.4)]
    crossing = [(119.8, 32.8), (120.3, 32.8)]
    got = length_by_region([MultiLineString([inside, crossing])], [WEST, EAST])
    assert got[0] == pytest.approx(km(*inside) + km((119.8, 32.8), (120.0, 32.8)), rel=1e-12)
    assert got[1] == pytest.approx(km((120.0, 32.8), (120.3, 32.8)), rel=1e-12)


@pytest.mark.parametrize(
    "line",
    [
        LineString([(118.5, 32.5), (119.0, 32.5)]),  # ends on WEST's west edge
        LineString([(118.5, 31.5), (119.0, 32.0), (118.5, 32.5)]),  # bounces off its corner
    ],
    ids=["end-on-edge", "vertex-on-corner"],
)
def test_line_touching_region_at_one_point(line):
    assert length_by_region([line], [WEST]).tolist() == [0.0]
    assert len(pieces_by_region([line], [WEST])[0]) == 0


def test_pieces_by_region_per_line_and_region():
    lines = [LineString([(119.5, 32.5), (120.5, 32.5)]), LineString([(120.2, 32.2), (120.4, 32.2)])]
    line_idx, region_idx, got = pieces_by_region(lines, [WEST, EAST])
    assert line_idx.tolist() == [0, 0, 1]
    assert region_idx.tolist() == [0, 1, 1]
    assert got == pytest.approx(
        [km((119.5, 32.5), (120, 32.5)), km((120, 32.5), (120.5, 32.5)), km(*lines[1].coords)],
        rel=1e-12,
    )
    total = length_by_region(lines, [WEST, EAST])
    assert total == pytest.approx(np.bincount(region_idx, weights=got), rel=1e-15)


def test_geoseries_input_and_long_zigzag_match_overlay():
    xs = np.linspace(119.05, 120.95, 40)
    zigzag = LineString(np.column_stack([xs, np.where(np.arange(40) % 2, 33.1, 32.9)]))
    lines = gpd.GeoSeries([zigzag, LineString([(118.0, 32.0), (122.0, 33.0)])], crs=4326)
    regions = gpd.GeoSeries([WEST, EAST, box(119.5, 32.95, 120.5, 33.05)], crs=4326)
    got = length_by_region(lines, regions)
    assert got == pytest.approx(overlay_km(lines, regions), rel=1e-12)


def test_sum_over_tiling_is_geodesic_length():
    rng = np.random.default_rng(1)
    pts = np.cumsum(rng.normal(0, 0.03, (200, 2)), axis=0) + (120.0, 32.5)
    line = LineString(pts)
    xs, ys = np.linspace(119.0, 121.0, 21), np.linspace(31.5, 33.5, 21)
    tiles = [box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for i in range(20) for j in range(20)]
    assert shapely.union_all(tiles).contains(line)
    # A generic line (none of it on a tile edge, where it would count twice). Cutting a
    # segment at a tile edge replaces one geodesic by two through a point of the straight
    # lon/lat segment, a few 1e-9 longer for these ~3 km segments (overlay does the same).
    assert length_by_region([line], tiles).sum() == pytest.approx(km(*pts), rel=1e-7)


# -- property test: the kernel equals the overlay reference ------------------------------
# Coordinates in lattice units u: lon = 119 + 0.05 u, lat = 32 + 0.05 u. Integer u are shared
# exactly by lines and boxes (lines along and across edges, through corners); the other u
# stay at least 0.001 units (5 m) off the lattice, and triangles use only those: generic.
# Left out on purpose: a line within rounding distance of an edge without being on it (e.g.
# lattice points collinear in decimal but not in binary); there GEOS's own answer depends on
# how its noding rounds (see the module docstring of jsplan_gis._clip).

GENERIC = st.builds(lambda i, f: i + f, st.integers(-1, 10), st.floats(0.001, 0.999))
U = st.one_of(st.integers(0, 10), GENERIC)


def lon(u: float) -> float:
    return 119.0 + 0.05 * u


def lat(u: float) -> float:
    return 32.0 + 0.05 * u


@st.composite
def lattice_box(draw):
    i0, i1 = sorted(draw(st.lists(st.integers(0, 10), min_size=2, max_size=2, unique=True)))
    j0, j1 = sorted(draw(st.lists(st.integers(0, 10), min_size=2, max_size=2, unique=True)))
    return box(lon(i0), lat(j0), lon(i1), lat(j1))


@st.composite
def triangle(draw):
    uv = draw(st.lists(st.tuples(GENERIC, GENERIC), min_size=3, max_size=3))
    poly = Polygon([(lon(u), lat(v)) for u, v in uv])
    assume(poly.is_valid and poly.area > 1e-4)
    return poly


@st.composite
def line(draw):
    """Draw a line that is simple by construction: monotone in x (or y), parts side by side."""
    uv = sorted(draw(st.lists(st.tuples(U, U), min_size=2, max_size=10, unique_by=lambda p: p[0])))
    if draw(st.booleans()):  # monotone in y instead
        uv = [(v, u) for u, v in uv]
    pts = [(lon(u), lat(v)) for u, v in uv]
    if len(pts) >= 4 and draw(st.booleans()):
        cut = draw(st.integers(2, len(pts) - 2))
        geom = MultiLineString([pts[:cut], pts[cut:]])
    else:
        geom = LineString(pts)
    # GEOS's overlay also nodes a line where it crosses itself and dissolves parts that
    # retrace each other; the kernel does not (documented), so compare on simple lines
    assume(geom.is_simple)
    return geom


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(line(), min_size=1, max_size=4),
    regions=st.lists(st.one_of(lattice_box(), triangle()), min_size=1, max_size=4),
)
def test_kernel_equals_overlay(lines, regions):
    got = length_by_region(lines, regions)
    expected = overlay_km(lines, regions)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)
