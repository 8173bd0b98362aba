"""Networks by year and scenario: which features exist in a given year."""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from ._errors import EmptyLayerError, UnknownNameError

__all__ = ["network_in_year", "SCENARIOS"]

#: ``built``: features open in or before the year; ``all_planned``: every feature of the layer,
#: planned and under study included (the "all planned projects built" scenario).
SCENARIOS = ("built", "all_planned")


def network_in_year(
    network: gpd.GeoDataFrame,
    year: int | None = None,
    *,
    scenario: Literal["built", "all_planned"] = "built",
) -> gpd.GeoDataFrame:
    """Select the features of a network that exist in ``year`` under ``scenario``.

    Parameters
    ----------
    network : GeoDataFrame
        A network with an ``open_year`` column (actual or planned opening year; missing where
        unknown) and optionally ``status``.
    year : int, optional
        Keep features with ``open_year <= year``. ``None`` keeps every feature with an
        operating status (or every feature when there is no ``status`` column).
    scenario : {"built", "all_planned"}
        ``"all_planned"`` ignores ``year`` and keeps every feature.

    Returns
    -------
    GeoDataFrame
        A new frame (the input is not modified).

    Raises
    ------
    UnknownNameError
        ``year`` given but the network has no ``open_year`` field; unknown scenario.
    EmptyLayerError
        No feature exists in that year.
    """
    if scenario not in SCENARIOS:
        raise UnknownNameError(f"unknown scenario {scenario!r}; use one of {', '.join(SCENARIOS)}")
    if scenario == "all_planned":
        return network.copy()
    if year is None:
        if "status" in network.columns:
            return network[network["status"].fillna("operating") == "operating"].copy()
        return network.copy()
    if "open_year" not in network.columns:
        fields = [c for c in network.columns if c != network.geometry.name]
        raise UnknownNameError(
            "--year needs an 'open_year' field in the network; available fields: "
            + ", ".join(map(str, fields))
        )
    years = pd.to_numeric(network["open_year"], errors="coerce").to_numpy(dtype="float64")
    keep = np.isfinite(years) & (years <= year)
    out = network[keep].copy()
    if len(out) == 0:
        raise EmptyLayerError(f"no network feature is open in or before {year}")
    return out
