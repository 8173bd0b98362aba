"""Build the plan's areas: the G42 corridor and the metropolitan areas / belts.

* **G42 corridor** (沿沪宁产业创新带): the G42 alignment inside Jiangsu (Shanghai boundary at
  花桥 → Suzhou, Wuxi, Changzhou, Zhenjiang → Nanjing → Anhui boundary), taken from the
  expressway layer (sections whose ``route`` lists ``G42``); a corridor polygon of
  ``buffer_km`` on each side, buffered in a transverse Mercator on 120° E (CGCS2000 GK, EPSG:4549;
  scale error < 0.03 % along G42); and the counties it touches.

  Default width 10 km each side: the belt the plan names is the chain of national high-tech
  and industrial parks along the Shanghai–Nanjing expressway and railways (苏州工业园区, 无锡
  高新区, 常州高新区, 镇江高新区, 南京江宁/麒麟 ...), which lie within about 10 km of the G42; a
  wider buffer would swallow most of southern Jiangsu and stop being a corridor. Configurable.
* **Metropolitan areas and belts**: unions of member regions listed in
  ``layers/src/points/metro_areas.csv`` with the source of each definition.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from ._io import write_vector_atomic
from .crs import STORAGE_CRS
from .measure import equal_area_km2, geodesic_length_km

__all__ = ["build_plan_areas", "g42_corridor", "DEFAULT_BUFFER_KM"]

log = logging.getLogger(__name__)

DEFAULT_BUFFER_KM = 10.0
_TM = "EPSG:4549"  # CGCS2000 / 3-degree Gauss-Kruger CM 120E


def _project(geoms: np.ndarray, src: str, dst: str) -> np.ndarray:
    t = Transformer.from_crs(src, dst, always_xy=True)
    return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def g42_corridor(
    expressway: gpd.GeoDataFrame,
    province: shapely.Geometry,
    counties: gpd.GeoDataFrame,
    *,
    buffer_km: float = DEFAULT_BUFFER_KM,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return the G42 alignment, the corridor polygon and the counties it touches.

    Parameters
    ----------
    expressway : GeoDataFrame
        Expressway sections with a ``route`` field (``;``-separated route numbers).
    province : shapely.Geometry
        Jiangsu, WGS84.
    counties : GeoDataFrame
        County layer (``code``, ``name_zh``, ``name_en``, ``parent_code``).
    buffer_km : float, default 10
        Half-width of the corridor, km.

    Returns
    -------
    tuple of GeoDataFrame
        ``(alignment, corridor, touched_counties)``.
    """
    routes = expressway["route"].fillna("").str.split(r"\s*;\s*")
    g42 = expressway[routes.apply(lambda r: "G42" in r)]
    if g42.empty:
        raise ValueError("no expressway section lists route G42")
    merged = shapely.line_merge(shapely.union_all(g42.geometry.to_numpy()))
    inside = shapely.intersection(merged, province)
    length = float(geodesic_length_km([inside])[0])
    alignment = gpd.GeoDataFrame(
        {
            "id": ["g42_alignment"],
            "name_zh": ["G42沪蓉高速(江苏段)"],
            "name_en": ["G42 Shanghai–Chengdu Expressway (Jiangsu section)"],
            "length_km": [round(length, 2)],
            "sections": [" ".join(g42["id"])],
            "source": ["jsplan_gis expressway layer, sections with route G42, clipped to Jiangsu"],
        },
        geometry=[inside],
        crs=STORAGE_CRS,
    )
    tm = _project(np.array([inside]), STORAGE_CRS, _TM)[0]
    band_tm = shapely.buffer(tm, buffer_km * 1000.0, quad_segs=16)
    band = _project(np.array([band_tm]), _TM, STORAGE_CRS)[0]
    band = shapely.intersection(band, province)
    corridor = gpd.GeoDataFrame(
        {
            "id": ["g42_corridor"],
            "name_zh": ["沿沪宁产业创新带(G42走廊)"],
            "name_en": ["Shanghai–Nanjing industrial innovation belt (G42 corridor)"],
            "buffer_km": [buffer_km],
            "area_km2": [round(float(equal_area_km2([band])[0]), 1)],
            "definition": [
                f"{buffer_km:g} km either side of the G42 alignment inside Jiangsu, buffered in EPSG:4549, "
                "clipped to the province"
            ],
            "plan_quote": ["加快建设沿沪宁产业创新带(G42),布局国家产业创新中心“珍珠链”"],
            "source": ["derived by jsplan_gis from the expressway layer"],
        },
        geometry=[band],
        crs=STORAGE_CRS,
    )
    geoms = counties.geometry.to_numpy()
    touched = shapely.intersects(geoms, band)
    sub = counties[touched].copy()
    share = equal_area_km2(shapely.intersection(sub.geometry.to_numpy(), band)) / equal_area_km2(
        sub.geometry.to_numpy()
    )
    sub["corridor_share"] = np.round(share, 4)
    sub["on_alignment"] = shapely.intersects(sub.geometry.to_numpy(), inside)
    keep = ["code", "name_zh", "name_en", "parent_code", "group", "corridor_share", "on_alignment", "geometry"]
    return alignment, corridor, sub[keep].reset_index(drop=True)


def _metro_areas(layers_dir: Path) -> gpd.GeoDataFrame:
    members = pd.read_csv(
        layers_dir / "src" / "points" / "metro_areas.csv", dtype=str, encoding="utf-8", keep_default_na=False
    )
    regions = pd.concat(
        [gpd.read_file(layers_dir / f"{n}.geojson") for n in ("cities", "counties", "context_cities", "context_counties")],
        ignore_index=True,
    ).drop_duplicates("code").set_index("code")
    rows = []
    for (area, scope), grp in members.groupby(["area_id", "scope"], sort=False):
        codes = list(grp["member_code"])
        have = [c for c in codes if c in regions.index]
        missing = [c for c in codes if c not in regions.index]
        if missing:
            log.warning("%s/%s: no polygon for members %s", area, scope, ", ".join(missing))
        if not have:
            continue
        geoms = regions.loc[have].geometry.to_numpy()
        union = shapely.coverage_union_all(geoms) if shapely.coverage_is_valid(geoms) else shapely.union_all(geoms)
        rows.append(
            {
                "id": f"{area}:{scope}",
                "area_id": area,
                "scope": scope,
                "name_zh": grp["name_zh"].iloc[0],
                "name_en": grp["name_en"].iloc[0],
                "members": " ".join(codes),
                "member_names": "、".join(grp["member_name_zh"]),
                "members_missing": " ".join(missing),
                "complete": not missing,
                "area_km2": round(float(equal_area_km2([union])[0]), 1),
                "definition_source": grp["definition_source"].iloc[0],
                "confidence": grp["confidence"].iloc[0],
                "geometry": union,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS)


def build_plan_areas(layers_dir: Path, *, buffer_km: float = DEFAULT_BUFFER_KM) -> dict[str, int]:
    """Write ``g42_alignment``, ``g42_corridor``, ``g42_counties`` and ``metro_areas`` layers."""
    province = gpd.read_file(layers_dir / "province.geojson").geometry.iloc[0]
    expressway = gpd.read_file(layers_dir / "expressway.geojson")
    counties = gpd.read_file(layers_dir / "counties.geojson")
    alignment, corridor, touched = g42_corridor(expressway, province, counties, buffer_km=buffer_km)
    out = {"g42_alignment": alignment, "g42_corridor": corridor, "g42_counties": touched,
           "metro_areas": _metro_areas(layers_dir)}
    for name, gdf in out.items():
        write_vector_atomic(gdf, layers_dir / f"{name}.geojson")
    return {k: len(v) for k, v in out.items()}
