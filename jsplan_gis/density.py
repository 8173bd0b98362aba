"""Network length and density per region, against the plan's targets.

Lengths are geodesic (WGS84 ellipsoid) after cutting the lines at region boundaries; areas are
computed in an equal-area projection (or taken from official statistics). A line lying exactly
on a boundary shared by two regions counts for both, as with ``geopandas.overlay``; aggregate
rows (central area, north, province) are computed by clipping against the dissolved union of
their members, so a route is never counted twice in an aggregate.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._clip import length_by_region
from ._validate import prepare_lines, prepare_polygons, require_field
from .crs import STORAGE_CRS
from .measure import equal_area_km2
from .targets import Target, density_target

__all__ = ["network_density", "land_area_km2", "AREA_BASES", "AGGREGATES"]

#: Area denominators: ``official`` (statistical land area where published, else ``land``),
#: ``land`` (polygon ∩ coastline land mask, equal-area), ``polygon`` (the whole polygon).
AREA_BASES = ("official", "land", "polygon")

#: Aggregate rows added when the regions carry the Jiangsu ``group`` field.
AGGREGATES = {
    "central": ("central_area", "长三角中心区(江苏9市)", "Central area (9 Jiangsu cities)"),
    "north": ("north", "苏北4市", "Northern Jiangsu (4 cities)"),
    "all": ("jiangsu", "江苏省(合计)", "Jiangsu (all regions)"),
}


@functools.lru_cache(maxsize=1)
def _land_mask():
    from .layers import load_layer

    mask = load_layer("land").geometry.union_all()
    shapely.prepare(mask)
    return mask


_UNION_CACHE: dict[bytes, shapely.Geometry] = {}


def _dissolve(geoms: np.ndarray) -> shapely.Geometry:
    """Union of polygons; fast path for a valid coverage (no overlaps), memoised by content."""
    key = hashlib.sha1(b"".join(shapely.to_wkb(geoms))).digest()
    if key not in _UNION_CACHE:
        if len(_UNION_CACHE) > 64:
            _UNION_CACHE.clear()
        if shapely.coverage_is_valid(geoms):
            _UNION_CACHE[key] = shapely.coverage_union_all(geoms)
        else:
            _UNION_CACHE[key] = shapely.union_all(geoms)
    return _UNION_CACHE[key]


def land_area_km2(regions: gpd.GeoSeries | np.ndarray, mask=None) -> np.ndarray:
    """Land area of each polygon, km²: the part inside the shipped coastline land mask.

    Inland water (lakes, rivers) counts as land, as in official land areas; sea and the outer
    estuary do not. Polygons wholly inside the mask are not clipped.

    Parameters
    ----------
    regions : GeoSeries or array of shapely polygons
        In WGS84 lon/lat.
    mask : shapely geometry, optional
        Land mask; defaults to the shipped ``land`` layer.

    Returns
    -------
    ndarray of float64
        km².
    """
    geoms = np.asarray(getattr(regions, "values", regions), dtype=object)
    if mask is None:
        mask = _land_mask()
    inside = shapely.contains_properly(mask, geoms)
    clipped = geoms.copy()
    todo = ~inside
    if todo.any():
        clipped[todo] = shapely.intersection(geoms[todo], mask)
    return equal_area_km2(clipped)


def _region_ids(regions: gpd.GeoDataFrame, region_field: str | None) -> pd.Series:
    if region_field is not None:
        require_field(regions, region_field, "regions")
        return regions[region_field].astype(str)
    if "code" in regions.columns:
        return regions["code"].astype(str)
    return pd.Series(regions.index.astype(str), index=regions.index)


def _aggregate_frame(regions: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    if "group" not in regions.columns:
        return None
    groups = set(regions["group"].dropna())
    if not {"central", "north"} <= groups:
        return None
    rows = []
    for key, (code, zh, en) in AGGREGATES.items():
        members = regions if key == "all" else regions[regions["group"] == key]
        official = members.get("area_official_km2")
        off = float(official.sum()) if official is not None and official.notna().all() else np.nan
        rows.append(
            {
                "code": code,
                "name_zh": zh,
                "name_en": en,
                "level": "aggregate",
                "group": key,
                "members": int(len(members)),
                "area_official_km2": off,
                "geometry": _dissolve(members.geometry.to_numpy()),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS)


def network_density(
    network: gpd.GeoDataFrame,
    regions: gpd.GeoDataFrame,
    *,
    target: Target | str | None = None,
    region_field: str | None = None,
    area_basis: Literal["official", "land", "polygon"] = "official",
    aggregates: bool = True,
    drop_invalid: bool = False,
    datum: Literal["auto", "gcj02"] = "auto",
) -> gpd.GeoDataFrame:
    """Route length, area and density of a line network in each region, against a target.

    Parameters
    ----------
    network : GeoDataFrame
        Lines (LineString / MultiLineString) with a CRS. One feature per route: a dual
        carriageway or a double-track railway must be one line, or it counts twice.
    regions : GeoDataFrame
        Polygons with a CRS. Shipped region layers carry ``code``, ``name_zh``, ``name_en``,
        ``group`` and official areas.
    target : Target or str, optional
        ``"rail"`` (550 km per 10,000 km²), ``"expressway"`` (5.1 km per 100 km²), an id from
        ``layers/targets.csv`` or a spec such as ``"0.5 km/km2"``. Without a target, density
        is reported in km per 100 km² and no target columns are added.
    region_field : str, optional
        Field identifying a region (default ``code``, else the index).
    area_basis : {"official", "land", "polygon"}, default "official"
        Denominator: ``official`` uses the statistical land area where the region has one
        and falls back to ``land`` elsewhere (the ``area_basis`` column says which was used);
        ``land`` is the polygon clipped to the coastline land mask; ``polygon`` the whole
        polygon. Areas are computed in an equal-area projection.
    aggregates : bool, default True
        With the Jiangsu ``group`` field (``central``/``north``), add rows for the central
        area, the north and all regions, each measured on the dissolved union of its members.
    drop_invalid : bool, default False
        Leave out missing, empty or invalid geometries instead of raising.
    datum : {"auto", "gcj02"}
        Declare that both inputs are in GCJ-02 (converted to WGS84 first).

    Returns
    -------
    GeoDataFrame
        One row per region (then the aggregates), WGS84, with ``length_km``, ``area_km2``,
        ``area_basis``, ``density_<unit>``, and with a target ``target_<unit>``,
        ``attainment_ratio`` (density / target), ``gap_km`` (route km still to build to reach
        the target; 0 when reached) and ``gap_<unit>`` (target - density).

    Raises
    ------
    InputError
        Any bad input (see :mod:`jsplan_gis._validate`), unknown target or field.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString, box
    >>> regions = gpd.GeoDataFrame({"code": ["a"]}, geometry=[box(119, 32, 119.1, 32.1)], crs=4326)
    >>> lines = gpd.GeoDataFrame(geometry=[LineString([(118.9, 32.05), (119.2, 32.05)])], crs=4326)
    >>> out = network_density(lines, regions, target="1 km/km2", area_basis="polygon")
    >>> round(float(out.length_km[0]), 3), round(float(out.area_km2[0]), 1)
    (9.444, 104.7)
    """
    if area_basis not in AREA_BASES:
        from ._errors import UnknownNameError

        raise UnknownNameError(f"unknown area basis {area_basis!r}; use one of {', '.join(AREA_BASES)}")
    tgt = density_target(target) if isinstance(target, str) else target
    lines = prepare_lines(network, "network", drop_invalid=drop_invalid, datum=datum)
    regs = prepare_polygons(regions, "regions", drop_invalid=drop_invalid, datum=datum)
    ids = _region_ids(regs, region_field)

    out = gpd.GeoDataFrame(
        {
            "code": ids.to_numpy(),
            "name_zh": regs["name_zh"].to_numpy() if "name_zh" in regs else ids.to_numpy(),
            "name_en": regs["name_en"].to_numpy() if "name_en" in regs else ids.to_numpy(),
            "level": regs["level"].to_numpy() if "level" in regs else "region",
            "group": regs["group"].to_numpy() if "group" in regs else None,
            "area_official_km2": (
                pd.to_numeric(regs["area_official_km2"], errors="coerce").to_numpy()
                if "area_official_km2" in regs
                else np.nan
            ),
        },
        geometry=regs.geometry.to_numpy(),
        crs=STORAGE_CRS,
    )
    if aggregates:
        agg = _aggregate_frame(out)
        if agg is not None:
            out = pd.concat([out, agg], ignore_index=True)
    geoms = out.geometry.to_numpy()
    out["length_km"] = length_by_region(lines.geometry.to_numpy(), geoms)
    out["area_polygon_km2"] = equal_area_km2(geoms)
    out["area_land_km2"] = (
        land_area_km2(geoms) if area_basis != "polygon" else out["area_polygon_km2"]
    )
    if area_basis == "official":
        has = out["area_official_km2"].notna() & (out["area_official_km2"] > 0)
        out["area_km2"] = np.where(has, out["area_official_km2"], out["area_land_km2"])
        out["area_basis"] = np.where(has, "official", "land")
    else:
        out["area_km2"] = out[f"area_{area_basis}_km2"]
        out["area_basis"] = area_basis

    per = tgt.per_area_km2 if tgt is not None else 100.0
    suffix = tgt.column_suffix if tgt is not None else "km_per_100_km2"
    area = out["area_km2"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(area > 0, out["length_km"].to_numpy() / area * per, np.nan)
    out[f"density_{suffix}"] = density
    if tgt is not None:
        out[f"target_{suffix}"] = tgt.value
        with np.errstate(divide="ignore", invalid="ignore"):
            out["attainment_ratio"] = density / tgt.value if tgt.value > 0 else np.nan
        out["gap_km"] = np.maximum(tgt.value * area / per - out["length_km"].to_numpy(), 0.0)
        out[f"gap_{suffix}"] = tgt.value - density
        out.attrs["target"] = tgt.label
    out.attrs["area_basis"] = area_basis
    if "members" in out.columns:
        out["members"] = out["members"].astype("Int64")
    first = ["code", "name_zh", "name_en", "level", "group", "length_km", "area_km2", "area_basis"]
    rest = [c for c in out.columns if c not in first and c != "geometry"]
    return out[[*first, *rest, "geometry"]]
