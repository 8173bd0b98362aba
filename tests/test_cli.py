"""The jsplan command line, run as a subprocess as scripts meet it."""

from __future__ import annotations

import os
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely import LineString, Point, box

ENV = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}


def jsplan(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "jsplan_gis", *map(str, args)],
        capture_output=True, text=True, encoding="utf-8", env=ENV, cwd=cwd, timeout=300,
    )


def assert_one_line_error(res, pattern):
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    err = res.stderr.strip()
    assert "Traceback" not in res.stderr
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ")
    import re

    assert re.search(pattern, err), err


@pytest.fixture(scope="module")
def net_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("net")
    gdf = gpd.GeoDataFrame(
        {"name": ["a", "b"], "open_year": [2010, 2030]},
        geometry=[LineString([(118.7, 32.0), (120.5, 31.5)]), LineString([(119.0, 33.0), (119.5, 34.0)])],
        crs=4326,
    )
    path = d / "net.gpkg"
    gdf.to_file(path, layer="lines")
    return path


def test_version_and_help():
    res = jsplan("--version")
    assert res.returncode == 0 and res.stdout.startswith("jsplan_gis ")
    for sub in ([], ["density"], ["layers"], ["report"], ["build"], ["build", "regions"]):
        res = jsplan(*sub, "--help")
        assert res.returncode == 0, sub
        assert "Usage" in res.stdout


def test_layers_lists_catalog():
    res = jsplan("layers")
    assert res.returncode == 0
    for name in ("province", "cities", "counties", "demo_zone", "land"):
        assert name in res.stdout


@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".gpkg", ".parquet"])
def test_density_outputs(tmp_path, net_file, suffix):
    out = tmp_path / f"d{suffix}"
    res = jsplan("density", "--network", net_file, "--regions", "cities", "--target", "rail", "-o", out)
    assert res.returncode == 0, res.stderr
    if suffix == ".csv":
        df = pd.read_csv(out, dtype={"code": str})
    elif suffix == ".parquet":
        df = gpd.read_parquet(out)
    else:
        df = gpd.read_file(out)
    for col in ("code", "name_zh", "name_en", "group", "length_km", "area_km2", "area_basis",
                "density_km_per_10000_km2", "target_km_per_10000_km2", "attainment_ratio", "gap_km"):
        assert col in df.columns, col
    assert len(df) == 16  # 13 cities + central + north + province
    assert df.loc[df["code"] == "jiangsu", "length_km"].iloc[0] > 200


def test_density_year_filter_and_table(net_file):
    all_ = jsplan("density", "-n", net_file, "-r", "cities", "--scenario", "all_planned")
    y2020 = jsplan("density", "-n", net_file, "-r", "cities", "--year", "2020")
    assert all_.returncode == 0 and y2020.returncode == 0, y2020.stderr
    assert "南京市" in y2020.stdout and "length_km" in y2020.stdout
    assert all_.stdout != y2020.stdout


def test_density_user_regions_with_field(tmp_path, net_file):
    regs = gpd.GeoDataFrame({"zone": ["west", "east"]},
                            geometry=[box(118, 31, 119.5, 33), box(119.5, 31, 121, 33)], crs=4326)
    regs.to_file(tmp_path / "zones.shp")
    out = tmp_path / "z.csv"
    res = jsplan("density", "-n", net_file, "-r", tmp_path / "zones.shp", "--region-field", "zone",
                 "--target", "1 km/100 km2", "-o", out)
    assert res.returncode == 0, res.stderr
    df = pd.read_csv(out)
    assert list(df["code"]) == ["west", "east"]
    assert (df["area_basis"] == "land").all()


def _write(gdf, path, **kw):
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="'crs' was not provided")
        gdf.to_file(path, **kw)
    return path


@pytest.mark.parametrize(
    "case, pattern",
    [
        ("missing", "file not found"),
        ("corrupt", "cannot read"),
        ("no_crs", "has no CRS"),
        ("metres_as_degrees", "look\\s*like projected metres"),
        ("degrees_as_metres", "area of use"),
        ("swapped", "swapped"),
        ("points", "must contain lines"),
        ("invalid_region", "invalid geometr"),
        ("empty_geom", "empty geometr"),
        ("empty_layer", "no features"),
        ("unknown_layer", "neither a shipped layer"),
        ("unknown_field", "no field 'nope'"),
        ("unknown_target", "unknown target"),
        ("bad_output", "unsupported output"),
    ],
)
def test_bad_input_one_line_and_no_output(tmp_path, net_file, case, pattern):
    line = LineString([(119.0, 32.0), (119.5, 32.5)])
    net, regions, extra = str(net_file), "cities", []
    if case == "missing":
        net = str(tmp_path / "nope.gpkg")
    elif case == "corrupt":
        (tmp_path / "bad.gpkg").write_bytes(b"not a database")
        net = str(tmp_path / "bad.gpkg")
    elif case == "no_crs":
        net = str(_write(gpd.GeoDataFrame(geometry=[line]), tmp_path / "nocrs.shp"))
    elif case == "metres_as_degrees":
        g = gpd.GeoDataFrame(geometry=[line], crs=4326).to_crs(4549).set_crs(4326, allow_override=True)
        net = str(_write(g, tmp_path / "m.gpkg"))
    elif case == "degrees_as_metres":
        net = str(_write(gpd.GeoDataFrame(geometry=[line], crs=4549), tmp_path / "d.gpkg"))
    elif case == "swapped":
        g = gpd.GeoDataFrame(geometry=[shapely.transform(line, lambda xy: xy[:, ::-1])], crs=4326)
        net = str(_write(g, tmp_path / "s.gpkg"))
    elif case == "points":
        net = str(_write(gpd.GeoDataFrame(geometry=[Point(119, 32)], crs=4326), tmp_path / "p.gpkg"))
    elif case == "invalid_region":
        bow = shapely.Polygon([(119.0, 32.0), (119.1, 32.1), (119.1, 32.0), (119.0, 32.1)])
        regions = str(_write(gpd.GeoDataFrame(geometry=[bow], crs=4326), tmp_path / "r.gpkg"))
    elif case == "empty_geom":
        g = gpd.GeoDataFrame(geometry=[line, LineString()], crs=4326)
        net = str(_write(g, tmp_path / "e.gpkg"))
    elif case == "empty_layer":
        g = gpd.GeoDataFrame({"name": []}, geometry=gpd.GeoSeries([], crs=4326))
        net = str(_write(g, tmp_path / "empty.gpkg"))
    elif case == "unknown_layer":
        regions = "citys"
    elif case == "unknown_field":
        extra = ["--region-field", "nope"]
    elif case == "unknown_target":
        extra = ["--target", "railway"]
    out = tmp_path / ("out.txt" if case == "bad_output" else "out.csv")
    res = jsplan("density", "-n", net, "-r", regions, *extra, "-o", out)
    assert_one_line_error(res, pattern)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_failure_keeps_previous_output(tmp_path, net_file):
    out = tmp_path / "keep.csv"
    out.write_text("previous\n", encoding="utf-8")
    res = jsplan("density", "-n", net_file, "-r", "cities", "--target", "nope", "-o", out)
    assert res.returncode == 2
    assert out.read_text(encoding="utf-8") == "previous\n"


def test_report_writes_files(tmp_path):
    res = jsplan("report", "-o", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"report.md", "areas.csv"} <= names
    text = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "550" in text and "南京市" in text


def test_map_command_writes_one_map(tmp_path):
    res = jsplan("map", "-o", tmp_path / "m", "--map", "demo_zone")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "m" / "closeup_demo_zone.html").stat().st_size > 100_000
    assert (tmp_path / "m" / "index.html").exists()
    assert "MB)" in res.stdout


@pytest.mark.parametrize("args, pattern", [(["--map", "nope"], "unknown map"),
                                           (["--basemap", "ftp://x"], "basemap")])
def test_map_command_bad_options(tmp_path, args, pattern):
    res = jsplan("map", "-o", tmp_path / "m", *args)
    assert_one_line_error(res, pattern)


def test_density_from_openstreetmap_with_where(tmp_path):
    from pathlib import Path

    osm = Path(__file__).parent / "data" / "tiny.osm"
    out = tmp_path / "osm.csv"
    res = jsplan("density", "-n", osm, "-r", "cities", "--where", "highway = 'motorway'",
                 "--target", "expressway", "-o", out)
    assert res.returncode == 0, res.stderr
    df = pd.read_csv(out, dtype={"code": str}).set_index("code")
    # the 0.2° motorway along 32° N lies in Nanjing: ~18.9 km; the railway and street are filtered out
    assert df.loc["320100", "length_km"] == pytest.approx(18.8986, abs=0.01)
    assert df.loc["jiangsu", "length_km"] == pytest.approx(df.loc["320100", "length_km"])
    bad = jsplan("density", "-n", "rail", "-r", "cities", "--where", "no_such ==", "-o", out)
    assert_one_line_error(bad, "bad --where")
