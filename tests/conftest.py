"""Shared fixtures: tiny synthetic layers in lon/lat near Jiangsu."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely import LineString, box


@pytest.fixture
def two_boxes() -> gpd.GeoDataFrame:
    """Two adjacent 0.1° boxes sharing the meridian 119.1° E."""
    return gpd.GeoDataFrame(
        {"code": ["A", "B"], "name_zh": ["甲", "乙"], "name_en": ["A", "B"]},
        geometry=[box(119.0, 32.0, 119.1, 32.1), box(119.1, 32.0, 119.2, 32.1)],
        crs="EPSG:4326",
    )


@pytest.fixture
def crossing_line() -> gpd.GeoDataFrame:
    """One east-west line across both boxes and beyond."""
    return gpd.GeoDataFrame(
        {"name": ["x"]}, geometry=[LineString([(118.95, 32.05), (119.25, 32.05)])], crs="EPSG:4326"
    )
