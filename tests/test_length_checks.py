"""Published-length checks over groups of route sections (synthetic tables)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from jsplan_gis._errors import InputError
from jsplan_gis.build_networks import _attach_checks, length_checks, read_length_groups

HEADER = "group_id,sections,published_length_km,length_scope,length_source,notes\n"


def _layer() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c"],
            "status": ["operating", "operating", "planned"],
            "estimated": ["", "yes", ""],
            "length_km": [10.0, 20.0, 5.0],
            "length_jiangsu_km": [10.0, 15.0, 5.0],
            "published_length_km": [10.5, np.nan, np.nan],
            "length_scope": ["section", "", ""],
            "length_source": ["s1", "", ""],
        },
        geometry=shapely.linestrings([[[0, 0], [1, 0]]] * 3),
        crs="EPSG:4326",
    )


def _groups(tmp_path, body: str, name: str = "x_lengths.csv") -> pd.DataFrame:
    folder = tmp_path / "rail"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(HEADER + body, encoding="utf-8")
    return read_length_groups(tmp_path, "rail")


@pytest.mark.parametrize(
    ("scope", "published", "measured"),
    [("total", 30.0, 30.0), ("jiangsu_section", 25.0, 25.0), ("section", 33.0, 30.0)],
)
def test_group_sums_its_sections_in_the_given_scope(tmp_path, scope, published, measured):
    groups = _groups(tmp_path, f"g1,a b,{published},{scope},src,\n")
    checks = length_checks(_layer(), groups, "rail")
    row = checks.set_index("check_id").loc["g1"]
    assert row["measured_km"] == pytest.approx(measured)
    assert row["diff_pct"] == pytest.approx((measured / published - 1) * 100, abs=0.01)
    assert row["n_sections"] == 2
    assert row["estimated"] == "b"  # the estimated member is named
    assert row["statuses"] == "operating"


def test_feature_checks_are_listed_and_attached(tmp_path):
    groups = _groups(tmp_path, "g1,a b c,40,total,src,\n")
    layer = _layer()
    checks = length_checks(layer, groups, "rail")
    assert list(checks["check_id"]) == ["a", "g1"]
    assert checks.set_index("check_id").loc["a", "diff_pct"] == pytest.approx((10 / 10.5 - 1) * 100, abs=0.01)
    out = _attach_checks(layer, checks)
    # the most specific check wins: a's own length, the group for b and c
    assert list(out["length_check"]) == ["a", "g1", "g1"]
    assert out["length_check_diff_pct"].iloc[1] == pytest.approx(-12.5)


def test_no_group_file_means_no_groups(tmp_path):
    (tmp_path / "rail").mkdir()
    assert read_length_groups(tmp_path, "rail").empty


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("g1,a,abc,total,src,\n", "positive number"),
        ("g1,a,-3,total,src,\n", "positive number"),
        ("g1,a,3,somewhere,src,\n", "length_scope"),
        ("g1,a,3,total,src,\ng1,b,4,total,src,\n", "duplicate group ids: g1"),
        ("g1,,3,total,src,\n", "without sections"),
    ],
)
def test_bad_group_tables_are_reported(tmp_path, body, message):
    with pytest.raises(InputError, match=message):
        _groups(tmp_path, body)


def test_missing_column_is_reported_per_file(tmp_path):
    _groups(tmp_path, "g1,a,3,total,src,\n", name="a_lengths.csv")  # a complete file next to it
    (tmp_path / "rail" / "x_lengths.csv").write_text("group_id,sections\ng2,a\n", encoding="utf-8")
    with pytest.raises(InputError, match="x_lengths.csv: missing columns published_length_km"):
        read_length_groups(tmp_path, "rail")


def test_corrupt_group_file_is_reported(tmp_path):
    from jsplan_gis._errors import DataFileError

    folder = tmp_path / "rail"
    folder.mkdir()
    (folder / "x_lengths.csv").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DataFileError, match="not a readable UTF-8 CSV"):
        read_length_groups(tmp_path, "rail")


def test_unknown_section_in_group_is_reported(tmp_path):
    groups = _groups(tmp_path, "g1,a zz,3,total,src,\n")
    with pytest.raises(InputError, match="unknown sections: zz"):
        length_checks(_layer(), groups, "rail")
