"""The main job: a density report of the shipped networks against the plan's 2025 targets."""

from __future__ import annotations

import datetime as _dt
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ._io import atomic_path, write_table_atomic
from .density import network_density
from .layers import catalog, load_layer
from .scenario import network_in_year
from .reconcile import INDICATORS, reconcile
from .targets import density_target, load_targets

__all__ = ["write_report", "density_table", "area_table", "projects_table"]

log = logging.getLogger(__name__)

#: Region layers the report covers, in order.
REPORT_REGIONS = ("cities", "counties", "demo_zone")


def area_table() -> pd.DataFrame:
    """Areas of the province and its cities: polygon, land and official, with differences (%)."""
    rows = []
    for name in ("province", "cities"):
        gdf = load_layer(name)
        rows.append(gdf.drop(columns="geometry"))
    df = pd.concat(rows, ignore_index=True)
    out = df[["code", "name_zh", "name_en", "level", "group", "area_polygon_km2", "area_land_km2",
              "area_official_km2", "area_official_source"]].copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["polygon_vs_official_pct"] = (out["area_polygon_km2"] / out["area_official_km2"] - 1) * 100
        out["land_vs_official_pct"] = (out["area_land_km2"] / out["area_official_km2"] - 1) * 100
    return out


def _network_layers() -> list[dict]:
    cat = catalog()
    if "kind" not in cat.columns:
        return []
    return [r.dropna().to_dict() for _, r in cat[cat["kind"] == "network"].iterrows()]


def _years(network: pd.DataFrame, today: int) -> dict[str, int | None]:
    years = pd.to_numeric(network.get("open_year"), errors="coerce")
    status = network.get("status", pd.Series("operating", index=network.index)).fillna("operating")
    built = years[(status == "operating") & (years <= today)]
    latest = int(built.max()) if len(built) else None
    return {"2020": 2020, f"latest ({latest})": latest, "2025 planned": 2025}


def density_table(today: int | None = None) -> pd.DataFrame:
    """Long table: every network x region layer x year/scenario, with density against its target.

    Parameters
    ----------
    today : int, optional
        The current year (default: this year); "latest" is the last year up to it in which a
        feature opened.
    """
    today = today or _dt.date.today().year
    frames = []
    for info in _network_layers():
        net = load_layer(info["name"])
        target = density_target(info.get("target", info["name"]))
        cases = {**_years(net, today), "all planned": None}
        for label, year in cases.items():
            if year is None and label != "all planned":
                continue
            scenario = "all_planned" if label == "all planned" else "built"
            sub = network_in_year(net, year, scenario=scenario)
            for reg_name in REPORT_REGIONS:
                res = network_density(sub, load_layer(reg_name), target=target).drop(columns="geometry")
                res.insert(0, "case", label)
                res.insert(0, "regions", reg_name)
                res.insert(0, "network", info["name"])
                suffix = target.column_suffix
                res = res.rename(columns={c: c.replace(suffix, "unit") for c in res.columns if suffix in c})
                res["unit"] = target.unit
                frames.append(res)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def projects_table(today: int | None = None) -> pd.DataFrame:
    """Length (km) that each not-yet-open project adds inside each city and aggregate.

    A project is a feature that is not operating, or opens after ``today``. Lengths are cut at
    the city boundaries (geodesic km), as in :func:`jsplan_gis.network_density`.
    """
    from ._clip import pieces_by_region
    from .density import _aggregate_frame

    today = today or _dt.date.today().year
    cities = load_layer("cities")
    agg = _aggregate_frame(cities)
    regions = pd.concat([cities, agg], ignore_index=True) if agg is not None else cities
    frames = []
    for info in _network_layers():
        net = load_layer(info["name"])
        years = pd.to_numeric(net["open_year"], errors="coerce")
        pending = net[(net["status"] != "operating") | (years > today)]
        if pending.empty:
            continue
        li, ri, km = pieces_by_region(pending.geometry.to_numpy(), regions.geometry.to_numpy())
        sums = pd.DataFrame({"li": li, "ri": ri, "km": km}).groupby(["li", "ri"], as_index=False)["km"].sum()
        feat = pending.iloc[sums["li"]].reset_index(drop=True)
        reg = regions.iloc[sums["ri"]].reset_index(drop=True)
        frames.append(
            pd.DataFrame(
                {
                    "network": info["name"],
                    "region_code": reg["code"],
                    "region_zh": reg["name_zh"],
                    "project_id": feat["id"],
                    "project_zh": feat["name_zh"],
                    "line_zh": feat.get("line_zh", feat["name_zh"]),
                    "plan_project": feat.get("plan_project", pd.Series("", index=feat.index)).fillna(""),
                    "status": feat["status"],
                    "open_year": feat["open_year"],
                    "km_in_region": sums["km"].round(2),
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def quality_table() -> pd.DataFrame:
    """How much of each operating network is confirmed by a published length.

    Returns
    -------
    DataFrame
        One row per line layer: operating sections and km (inside Jiangsu), the km whose
        published-length check (own or group, ``layers/length_checks.csv``) is within 5 %,
        that share in %, and the number of operating sections marked ``estimated``.
    """
    rows = []
    for info in _network_layers():
        gdf = load_layer(info["name"])
        if "length_check_diff_pct" not in gdf.columns:
            continue
        op = gdf[gdf["status"] == "operating"]
        km = op["length_jiangsu_km"]
        ok = op["length_check_diff_pct"].abs() <= 5
        rows.append({
            "network": info["name"],
            "operating_sections": len(op),
            "operating_km": round(float(km.sum()), 1),
            "km_checked_within_5pct": round(float(km[ok].sum()), 1),
            "share_checked_pct": round(float(km[ok].sum() / km.sum() * 100), 1) if km.sum() else 0.0,
            "sections_estimated": int((op["estimated"].fillna("") == "yes").sum()),
        })
    return pd.DataFrame(rows)


def _md_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = []
        for v in r:
            if isinstance(v, float):
                cells.append("" if np.isnan(v) else f"{v:,.2f}")
            else:
                cells.append(str(v).replace("|", "\\|"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(folder: str | Path) -> list[Path]:
    """Write ``density.csv``, ``areas.csv`` and ``report.md`` into ``folder`` (atomically).

    Returns
    -------
    list of Path
        The files written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    areas = area_table()
    dens = density_table()
    targets = load_targets()
    projects = projects_table()
    paths = [write_table_atomic(areas, folder / "areas.csv")]
    if len(dens):
        paths.append(write_table_atomic(dens, folder / "density.csv"))
    if len(projects):
        paths.append(write_table_atomic(projects, folder / "projects.csv"))
    recon = {n: reconcile(n) for n in INDICATORS if n in {i["name"] for i in _network_layers()}}
    if recon:
        paths.append(
            write_table_atomic(
                pd.concat([t.assign(network=n) for n, t in recon.items()], ignore_index=True),
                folder / "reconciliation.csv",
            )
        )

    md = ["# jsplan_gis density report", ""]
    md.append(f"Generated {_dt.date.today().isoformat()} by `jsplan report`. Lengths geodesic (WGS84), "
              "areas equal-area; denominator: official land area where published, else land area "
              "(polygon clipped to the OpenStreetMap coastline).")
    md += ["", "## Targets (plan section 一(三) and the national outline)", ""]
    dens_t = targets[targets["per_area_km2"].notna()][["id", "indicator_zh", "value", "unit", "target_year", "source_document"]]
    md.append(_md_table(dens_t))
    md += ["", "## Areas: computed against official", ""]
    md.append(_md_table(areas.drop(columns=["area_official_source"])))
    if len(dens):
        for net in dens["network"].unique():
            sub = dens[(dens["network"] == net) & (dens["regions"] == "cities")]
            md += ["", f"## {net}: density per city ({sub['unit'].iloc[0]})", ""]
            wide = sub.pivot_table(index=["code", "name_zh", "name_en"], columns="case",
                                   values="density_unit", sort=False).reset_index()
            md.append(_md_table(wide))
            gap = sub[sub["case"] == "2025 planned"][["code", "name_zh", "gap_km"]]
            proj = projects[projects["network"] == net] if len(projects) else projects
            if len(gap):
                md += ["", f"### {net}: gap to the 2025 target and the projects that close it", ""]
                lines = []
                for _, g in gap.iterrows():
                    p = proj[proj["region_code"] == g["code"]] if len(proj) else proj
                    listed = "; ".join(
                        f"{r.line_zh} {r.project_zh} ({r.status}, {'' if pd.isna(r.open_year) else int(r.open_year)}) {r.km_in_region:.1f} km"
                        for r in p.sort_values("km_in_region", ascending=False).itertuples()
                    ) if len(p) else "—"
                    lines.append(f"| {g['code']} | {g['name_zh']} | {g['gap_km']:,.1f} | {listed} |")
                md += ["| code | region | gap_km (2025 as planned) | projects not yet open (km inside) |",
                       "|---|---|---|---|", *lines]
        for net, table in recon.items():
            md += ["", f"## {net}: reconciliation with official statistics", ""]
            md.append(_md_table(table))
        quality = quality_table()
        if len(quality):
            paths.append(write_table_atomic(quality, folder / "quality.csv"))
            md += ["", "## Data quality: operating network confirmed by published lengths", "",
                   "A section counts as confirmed when its own published length, or a published length "
                   "covering it together with neighbouring sections (`layers/length_checks.csv`), is "
                   "matched within 5 %.", ""]
            md.append(_md_table(quality))
    else:
        md += ["", "## Networks", "", "No network layer is shipped yet (kind = network in "
               "layers/catalog.json); only areas are reported."]
    with atomic_path(folder / "report.md") as tmp:
        tmp.write_text("\n".join(md) + "\n", encoding="utf-8")
    paths.append(folder / "report.md")
    return paths
