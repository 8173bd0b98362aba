"""The targets data file and target parsing."""

from __future__ import annotations

import pytest

from jsplan_gis import InputError, UnknownNameError, density_target, load_targets
from jsplan_gis.targets import parse_target


def test_plan_targets_present_with_quotes():
    t = load_targets().set_index("id")
    expected = {
        "rail_density": 550, "expressway_density": 5.1, "5g_coverage": 85, "urbanisation_rate": 75,
        "rd_intensity": 3, "tech_progress_contribution": 65, "high_tech_output_share": 48,
        "public_spending_per_capita": 2.1, "schooling_years": 11.9, "life_expectancy": 80,
        "urban_rural_income_ratio": 2.0, "yrd_rail_density": 507, "yrd_expressway_density": 5,
    }
    for key, value in expected.items():
        assert float(t.loc[key, "value"]) == value, key
    for key, row in t.iterrows():
        # the quoted sentence carries the number, the year and a named source
        number = str(row["value"]).split("-")[0].rstrip("0").rstrip(".") if "." in str(row["value"]) else str(row["value"]).split("-")[0]
        assert number in row["quote"], key
        assert row["source_document"].startswith("《"), key
        assert int(row["target_year"]) == 2025


@pytest.mark.parametrize(
    "name, value, per",
    [("rail", 550, 10000), ("expressway", 5.1, 100), ("yrd_rail_density", 507, 10000),
     ("550 km/10000 km2", 550, 10000), ("5.1 km per 100 km²", 5.1, 100), ("0.3 km/km2", 0.3, 1)],
)
def test_density_target(name, value, per):
    t = density_target(name)
    assert (t.value, t.per_area_km2) == (value, per)


@pytest.mark.parametrize("bad", ["railway", "5g_coverage"])
def test_unknown_target(bad):
    with pytest.raises(UnknownNameError, match="known density targets"):
        density_target(bad)


@pytest.mark.parametrize("bad", ["5 miles/km2", "km/km2", "3 km/0 km2"])
def test_bad_spec(bad):
    with pytest.raises(InputError):
        parse_target(bad)
