"""Reading any vector format with clear errors; atomic writes."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely import LineString

from jsplan_gis import DataFileError, read_vector, write_vector_atomic


@pytest.fixture
def lines():
    return gpd.GeoDataFrame(
        {"name_zh": ["京沪<script>"]}, geometry=[LineString([(119, 32), (119.1, 32.1)])], crs=4326
    )


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp", ".parquet", ".fgb"])
def test_round_trip(tmp_path, lines, suffix):
    path = write_vector_atomic(lines, tmp_path / f"net{suffix}")
    back = read_vector(path)
    assert back.crs.to_epsg() == 4326
    assert back["name_zh"].iloc[0] == "京沪<script>"
    assert back.geometry.iloc[0].equals_exact(lines.geometry.iloc[0], 1e-6)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_missing_and_corrupt(tmp_path):
    with pytest.raises(DataFileError, match="file not found"):
        read_vector(tmp_path / "nope.gpkg")
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"this is not a geopackage")
    with pytest.raises(DataFileError, match="cannot read"):
        read_vector(bad)
    badj = tmp_path / "bad.geojson"
    badj.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(DataFileError, match="cannot read"):
        read_vector(badj)
    badp = tmp_path / "bad.parquet"
    badp.write_bytes(b"PAR1 garbage")
    with pytest.raises(DataFileError, match="cannot read"):
        read_vector(badp)


def test_failed_write_leaves_old_file(tmp_path, lines, monkeypatch):
    target = tmp_path / "out.geojson"
    target.write_text("old", encoding="utf-8")

    def half_write(self, filename, **kwargs):
        with open(filename, "w", encoding="utf-8") as f:
            f.write('{"type": "FeatureCollection", "features": [')
        raise OSError("disk full")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", half_write)
    with pytest.raises(OSError, match="disk full"):
        write_vector_atomic(lines, target)
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.geojson"]


def test_openstreetmap_lines_and_where():
    from pathlib import Path

    osm = Path(__file__).parent / "data" / "tiny.osm"
    lines = read_vector(osm)
    assert set(lines["highway"].dropna()) == {"motorway", "residential"}
    assert list(lines["railway"].dropna()) == ["rail"]
    motorways = read_vector(osm, where="highway = 'motorway'")
    assert list(motorways["name"]) == ["沪蓉高速"]
    with pytest.raises(DataFileError, match="cannot read"):
        read_vector(osm, where="no_such_field = 1")
