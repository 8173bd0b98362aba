"""Build the network and point layers in ``layers/`` from the source tables in ``layers/src/``.

The source tables (``layers/src/README.md``) are written by the project from public facts:
node coordinates (stations, junctions, interchanges, bridge ends) and, per route section, the
ordered node ids, status, opening year and a published length. This module joins them into
line geometries, measures them (geodesic km, whole and inside Jiangsu) and writes GeoJSON
layers in WGS84. It runs in a second or two and needs nothing but the project itself.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._clip import pieces_by_region
from ._errors import DataFileError, InputError
from ._io import write_table_atomic, write_vector_atomic
from .crs import STORAGE_CRS
from .measure import geodesic_length_km

__all__ = ["build_networks", "read_line_tables", "read_length_groups", "length_checks", "STATUSES"]

log = logging.getLogger(__name__)

STATUSES = ("operating", "under_construction", "planned", "study")
_NETWORKS = {
    "rail": ("rail", "*_nodes.csv", "*_sections.csv"),
    "expressway": ("expressway", "nodes.csv", "sections.csv"),
}
# published lengths that cover several sections (one row per published figure)
_GROUP_FILES = {"rail": "*_lengths.csv", "expressway": "lengths.csv"}
_GROUP_COLUMNS = ["group_id", "sections", "published_length_km", "length_scope", "length_source", "notes"]
_SCOPES = ("total", "section", "jiangsu_section")
LENGTH_CHECKS_FILE = "length_checks.csv"
_LINE_COLUMNS = [
    "id", "line_zh", "line_en", "route", "name_zh", "name_en", "class", "design_speed_kmh", "lanes",
    "status", "open_year", "published_length_km", "length_scope", "length_source", "source",
    "confidence", "estimated", "plan_project", "notes",
]


def _read_csvs(folder: Path, pattern: str, required: list[str] | None = None) -> pd.DataFrame:
    files = sorted(folder.glob(pattern))
    if not files:
        raise InputError(f"no {pattern} in {folder}")
    frames = []
    for f in files:
        try:
            df = pd.read_csv(f, dtype=str, encoding="utf-8", keep_default_na=False)
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DataFileError(f"{f}: not a readable UTF-8 CSV table ({type(exc).__name__})") from exc
        missing = [c for c in required or [] if c not in df.columns]
        if missing:
            raise InputError(f"{f}: missing columns {', '.join(missing)}")
        df["_file"] = f.name
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def read_line_tables(src: Path, network: str) -> gpd.GeoDataFrame:
    """Join one network's node and section tables into a GeoDataFrame of route sections.

    Parameters
    ----------
    src : Path
        ``layers/src``.
    network : {"rail", "expressway"}

    Returns
    -------
    GeoDataFrame
        One LineString per section, WGS84, with the section attributes.

    Raises
    ------
    InputError
        Duplicate ids, unknown node ids, sections of fewer than two nodes, coordinates outside
        the valid range, unknown status, or an opening year that is not a year - all problems
        reported together.
    """
    sub, node_pat, sec_pat = _NETWORKS[network]
    folder = src / sub
    nodes = _read_csvs(folder, node_pat)
    secs = _read_csvs(folder, sec_pat)
    problems: list[str] = []
    dup = nodes["node_id"][nodes["node_id"].duplicated()]
    if len(dup):
        problems.append(f"duplicate node ids: {', '.join(dup[:10])}")
    lon = pd.to_numeric(nodes["lon"], errors="coerce").to_numpy()
    lat = pd.to_numeric(nodes["lat"], errors="coerce").to_numpy()
    bad = ~((lon > 110) & (lon < 126) & (lat > 26) & (lat < 38))
    if bad.any():
        problems.append(f"nodes outside 110-126E/26-38N or unreadable: {', '.join(nodes['node_id'][bad][:10])}")
    dup = secs["id"][secs["id"].duplicated()]
    if len(dup):
        problems.append(f"duplicate section ids: {', '.join(dup[:10])}")
    badstatus = ~secs["status"].isin(STATUSES)
    if badstatus.any():
        problems.append(f"unknown status in {', '.join(secs['id'][badstatus][:10])}")
    years = pd.to_numeric(secs["open_year"].replace("", np.nan), errors="coerce")
    badyear = (secs["open_year"] != "") & ~years.between(1850, 2060)
    if badyear.any():
        problems.append(f"bad open_year in {', '.join(secs['id'][badyear][:10])}")
    index = pd.Series(np.arange(len(nodes)), index=nodes["node_id"])
    index = index[~index.index.duplicated()]
    seq = secs["nodes"].str.split()
    flat = seq.explode()
    unknown = sorted(set(flat.dropna()) - set(index.index))
    if unknown:
        problems.append(f"unknown node ids: {', '.join(unknown[:10])}")
    short = seq.str.len() < 2
    if short.any():
        problems.append(f"sections with < 2 nodes: {', '.join(secs['id'][short][:10])}")
    if problems:
        raise InputError(f"{network} source tables: " + "; ".join(problems))
    pos = index.loc[flat.to_numpy()].to_numpy()
    coords = np.column_stack([lon[pos], lat[pos]])
    part = np.repeat(np.arange(len(secs)), seq.str.len().to_numpy())
    lines = shapely.linestrings(coords, indices=part)
    out = secs.reindex(columns=[c for c in _LINE_COLUMNS if c in secs.columns] + ["nodes"]).copy()
    out["open_year"] = years.astype("Int64")
    for col in ("published_length_km", "design_speed_kmh", "lanes"):
        if col in out.columns:
            out[col] = pd.to_numeric(out[col].replace("", np.nan), errors="coerce")
    out["network"] = network
    return gpd.GeoDataFrame(out, geometry=lines, crs=STORAGE_CRS)


def _measure(gdf: gpd.GeoDataFrame, province: shapely.Geometry) -> gpd.GeoDataFrame:
    gdf = gdf.copy()
    gdf["length_km"] = np.round(geodesic_length_km(gdf.geometry.to_numpy()), 3)
    li, _, km = pieces_by_region(gdf.geometry.to_numpy(), np.array([province]))
    inside = np.bincount(li, weights=km, minlength=len(gdf))
    gdf["length_jiangsu_km"] = np.round(inside, 3)
    pub = gdf["published_length_km"]
    scope_js = gdf.get("length_scope", pd.Series("", index=gdf.index)).fillna("") == "jiangsu_section"
    measured = np.where(scope_js, gdf["length_jiangsu_km"], gdf["length_km"])
    gdf["length_diff_pct"] = np.round((measured / pub - 1) * 100, 2)
    return gdf


def _points(src: Path, name: str) -> gpd.GeoDataFrame:
    df = pd.read_csv(src / "points" / f"{name}.csv", dtype=str, encoding="utf-8", keep_default_na=False)
    lon = pd.to_numeric(df["lon"], errors="coerce")
    lat = pd.to_numeric(df["lat"], errors="coerce")
    ok = lon.notna() & lat.notna()
    if (~ok).any():
        log.warning("%s: %d rows without coordinates left out: %s", name, (~ok).sum(), ", ".join(df["id"][~ok]))
    df = df[ok].copy()
    if "open_year" in df.columns:
        df["open_year"] = pd.to_numeric(df["open_year"].replace("", np.nan), errors="coerce").astype("Int64")
    return gpd.GeoDataFrame(df, geometry=shapely.points(lon[ok], lat[ok]), crs=STORAGE_CRS)


def _crossing_lines(points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    cols = ["north_lon", "north_lat", "south_lon", "south_lat"]
    vals = points[cols].apply(pd.to_numeric, errors="coerce")
    ok = vals.notna().all(axis=1).to_numpy()
    sub = points[ok].drop(columns="geometry")
    coords = np.stack(
        [vals[ok][["north_lon", "north_lat"]].to_numpy(), vals[ok][["south_lon", "south_lat"]].to_numpy()], axis=1
    )
    return gpd.GeoDataFrame(sub, geometry=shapely.linestrings(coords), crs=STORAGE_CRS)


def read_length_groups(src: Path, network: str) -> pd.DataFrame:
    """Published lengths that cover several route sections (``layers/src/<network>/*lengths.csv``).

    Parameters
    ----------
    src : Path
        ``layers/src``.
    network : {"rail", "expressway"}

    Returns
    -------
    DataFrame
        One row per published figure: ``group_id``, ``sections`` (ids separated by spaces),
        ``published_length_km`` (float, km), ``length_scope`` (``total``: the sum of the sections'
        full lengths; ``jiangsu_section``: the sum of their lengths inside Jiangsu),
        ``length_source``, ``notes``. Empty (with those columns) if the folder has no such file.

    Raises
    ------
    InputError
        A file without the required columns, duplicate group ids, a length that is not a
        positive number, or an unknown scope.
    DataFileError
        A file that is not a readable UTF-8 CSV table.
    """
    folder = src / _NETWORKS[network][0]
    if not any(folder.glob(_GROUP_FILES[network])):
        return pd.DataFrame(columns=_GROUP_COLUMNS)
    df = _read_csvs(folder, _GROUP_FILES[network], required=_GROUP_COLUMNS)
    problems = []
    dup = df["group_id"][df["group_id"].duplicated()]
    if len(dup):
        problems.append(f"duplicate group ids: {', '.join(dup[:10])}")
    km = pd.to_numeric(df["published_length_km"], errors="coerce")
    bad = df["group_id"][~(km > 0)]
    if len(bad):
        problems.append(f"published_length_km not a positive number: {', '.join(bad[:10])}")
    scope = df["length_scope"].replace("section", "total")
    bad = df["group_id"][~scope.isin(_SCOPES)]
    if len(bad):
        problems.append(f"length_scope not one of {'/'.join(_SCOPES)}: {', '.join(bad[:10])}")
    empty = df["group_id"][df["sections"].str.split().str.len().fillna(0) == 0]
    if len(empty):
        problems.append(f"groups without sections: {', '.join(empty[:10])}")
    if problems:
        raise InputError(f"{network} length groups: " + "; ".join(problems))
    out = df[_GROUP_COLUMNS].copy()
    out["published_length_km"] = km
    out["length_scope"] = scope
    return out


def length_checks(gdf: gpd.GeoDataFrame, groups: pd.DataFrame, network: str) -> pd.DataFrame:
    """Every published-length check of a measured line layer: per feature and per group.

    Parameters
    ----------
    gdf : GeoDataFrame
        Output of :func:`_measure` (``length_km``, ``length_jiangsu_km``, ``published_length_km``).
    groups : DataFrame
        Output of :func:`read_length_groups`.
    network : str
        Written into the ``network`` column.

    Returns
    -------
    DataFrame
        ``network, check_id, kind (feature|group), sections, n_sections, statuses, measured_km,
        published_length_km, diff_pct, length_scope, estimated (sections marked estimated),
        length_source, notes``; lengths in km, ``diff_pct`` = measured / published - 1 in %.

    Raises
    ------
    InputError
        A group names a section id that is not in the layer.
    """
    est = gdf["estimated"].fillna("").eq("yes")
    own = gdf[gdf["published_length_km"].notna()]
    feat = pd.DataFrame({
        "check_id": own["id"], "kind": "feature", "sections": own["id"], "n_sections": 1,
        "statuses": own["status"],
        "measured_km": np.where(own["length_scope"].fillna("") == "jiangsu_section",
                                own["length_jiangsu_km"], own["length_km"]),
        "published_length_km": own["published_length_km"],
        "length_scope": own["length_scope"].fillna("").replace("", "section"),
        "estimated": np.where(est[own.index], own["id"], ""),
        "length_source": own["length_source"], "notes": "",
    })
    rows = [feat]
    if len(groups):
        members = groups.assign(section=groups["sections"].str.split()).explode("section")
        idx = pd.Index(gdf["id"])
        pos = idx.get_indexer(members["section"])
        if (pos < 0).any():
            unknown = sorted(set(members["section"][pos < 0]))
            raise InputError(f"{network} length groups name unknown sections: {', '.join(unknown[:10])}")
        js = (members["length_scope"] == "jiangsu_section").to_numpy()
        km = np.where(js, gdf["length_jiangsu_km"].to_numpy()[pos], gdf["length_km"].to_numpy()[pos])
        members = members.assign(km=km, status=gdf["status"].to_numpy()[pos],
                                 est=np.where(est.to_numpy()[pos], members["section"], ""))
        agg = members.groupby("group_id", sort=False).agg(
            measured_km=("km", "sum"), n_sections=("section", "size"),
            statuses=("status", lambda s: " ".join(sorted(set(s)))),
            estimated=("est", lambda s: " ".join(x for x in s if x)),
        )
        grp = groups.set_index("group_id").join(agg).reset_index()
        grp = grp.rename(columns={"group_id": "check_id"}).assign(kind="group")
        rows.append(grp)
    out = pd.concat(rows, ignore_index=True)
    out.insert(0, "network", network)
    out["measured_km"] = out["measured_km"].astype(float).round(3)
    out["diff_pct"] = ((out["measured_km"] / out["published_length_km"] - 1) * 100).round(2)
    cols = ["network", "check_id", "kind", "sections", "n_sections", "statuses", "measured_km",
            "published_length_km", "diff_pct", "length_scope", "estimated", "length_source", "notes"]
    return out[cols]


def _attach_checks(gdf: gpd.GeoDataFrame, checks: pd.DataFrame) -> gpd.GeoDataFrame:
    """Per feature: the most specific check covering it (own length first, then the smallest group)."""
    members = checks.assign(section=checks["sections"].str.split()).explode("section")
    members = members.sort_values(["n_sections", "kind"], kind="stable").drop_duplicates("section")
    best = members.set_index("section")
    gdf = gdf.copy()
    gdf["length_check"] = gdf["id"].map(best["check_id"]).fillna("")
    gdf["length_check_diff_pct"] = gdf["id"].map(best["diff_pct"])
    return gdf


def build_networks(layers_dir: Path) -> dict[str, int]:
    """Rebuild the network, point and plan-area layers from ``layers/src``.

    Parameters
    ----------
    layers_dir : Path
        The ``layers/`` folder (reads ``src/``, writes ``*.geojson``).

    Returns
    -------
    dict
        Features written per layer.
    """
    src = layers_dir / "src"
    province = gpd.read_file(layers_dir / "province.geojson").geometry.iloc[0]
    written: dict[str, int] = {}
    checks = []
    for network in _NETWORKS:
        gdf = _measure(read_line_tables(src, network), province)
        net_checks = length_checks(gdf, read_length_groups(src, network), network)
        gdf = _attach_checks(gdf, net_checks)
        checks.append(net_checks)
        write_vector_atomic(gdf.drop(columns=["nodes"]), layers_dir / f"{network}.geojson")
        written[network] = len(gdf)
    table = pd.concat(checks, ignore_index=True)
    write_table_atomic(table, layers_dir / LENGTH_CHECKS_FILE)
    written[LENGTH_CHECKS_FILE] = len(table)
    crossings = _points(src, "crossings")
    write_vector_atomic(crossings, layers_dir / "crossings.geojson")
    write_vector_atomic(_crossing_lines(crossings), layers_dir / "crossing_lines.geojson")
    written["crossings"] = len(crossings)
    for name in ("airports", "ports"):
        gdf = _points(src, name)
        write_vector_atomic(gdf, layers_dir / f"{name}.geojson")
        written[name] = len(gdf)
    from .build_plan_areas import build_plan_areas

    written.update(build_plan_areas(layers_dir))
    return written


def length_check_table(layers_dir: Path, network: str) -> pd.DataFrame:
    """Sections with a published length: measured vs published, for review and tests."""
    gdf = gpd.read_file(layers_dir / f"{network}.geojson")
    has = gdf["published_length_km"].notna()
    cols = ["id", "name_zh", "length_km", "length_jiangsu_km", "published_length_km", "length_scope",
            "length_diff_pct", "estimated"]
    return gdf.loc[has, cols].sort_values("length_diff_pct")

