"""Reconciliation of the network layers with official statistics, year by year."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._errors import EmptyLayerError, UnknownNameError
from .layers import layers_dir, load_layer
from .scenario import network_in_year

__all__ = ["official_stats", "reconcile", "INDICATORS"]

#: Official indicator compared with each network layer.
INDICATORS = {"rail": "railway_length", "expressway": "expressway_length"}
#: Official sub-totals compared with a subset of the layer (indicator, ``class`` values).
COMPONENTS = {"rail": ("hsr_length", ("high_speed", "intercity"))}


def official_stats() -> pd.DataFrame:
    """Official statistics table (indicator, year, value, unit, source, quote, confidence)."""
    return pd.read_csv(layers_dir() / "src" / "points" / "official_stats.csv", encoding="utf-8")


def _km_in_year(network: pd.DataFrame, year: int) -> float:
    """Route km inside Jiangsu of the features open in or before ``year`` (0 if none)."""
    try:
        return float(network_in_year(network, year)["length_jiangsu_km"].sum())
    except EmptyLayerError:  # no feature open yet that year
        return 0.0


def reconcile(network: str, *, since: int = 2015) -> pd.DataFrame:
    """Compare the network layer's length in Jiangsu with the official mileage, by year.

    Parameters
    ----------
    network : {"rail", "expressway"}
        Shipped network layer.
    since : int, default 2015
        First year compared.

    Returns
    -------
    DataFrame
        ``year``, ``official_km``, ``layer_km`` (route km inside Jiangsu of the features open
        in or before that year), ``diff_km``, ``diff_pct``, ``source`` and ``explanation``
        (from ``layers/src/points/reconciliation_notes.csv``) where the difference is known.
        For rail also the high-speed sub-total (official 高铁 figure against the layer's
        ``high_speed`` + ``intercity`` classes): ``official_hsr_km``, ``layer_hsr_km``,
        ``hsr_diff_pct`` (empty where no official sub-total was published for the year).
    """
    if network not in INDICATORS:
        raise UnknownNameError(f"unknown network {network!r}; use one of {', '.join(INDICATORS)}")
    stats = official_stats()
    actual = stats.get("estimated", pd.Series("no", index=stats.index)).fillna("no") != "yes"
    rows = stats[(stats["indicator"] == INDICATORS[network]) & (stats["year"] >= since) & actual]
    rows = rows.sort_values("year").drop_duplicates("year", keep="first")
    net = load_layer(network)
    out = []
    for _, r in rows.iterrows():
        year = int(r["year"])
        km = _km_in_year(net, year)
        out.append(
            {
                "year": year,
                "official_km": float(r["value"]),
                "layer_km": round(km, 1),
                "source": r["source"],
            }
        )
    df = pd.DataFrame(out, columns=["year", "official_km", "layer_km", "source"])
    df.insert(3, "diff_km", (df["layer_km"] - df["official_km"]).round(1))
    with np.errstate(divide="ignore", invalid="ignore"):
        df.insert(4, "diff_pct", ((df["layer_km"] / df["official_km"] - 1) * 100).round(2))
    notes = pd.read_csv(layers_dir() / "src" / "points" / "reconciliation_notes.csv", encoding="utf-8")
    notes = notes[notes["network"] == network].set_index("year")["explanation"]
    df["explanation"] = df["year"].map(notes).astype(object).where(df["year"].isin(notes.index), "")
    if network in COMPONENTS:
        indicator, classes = COMPONENTS[network]
        sub = stats[(stats["indicator"] == indicator) & actual].drop_duplicates("year", keep="first")
        official = df["year"].map(sub.set_index("year")["value"]).astype(float)
        subset = net[net["class"].isin(classes)]
        layer = np.array([_km_in_year(subset, y) for y in df["year"]])
        df.insert(5, "official_hsr_km", official)
        df.insert(6, "layer_hsr_km", np.round(layer, 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            df.insert(7, "hsr_diff_pct", ((df["layer_hsr_km"] / df["official_hsr_km"] - 1) * 100).round(2))
    return df
