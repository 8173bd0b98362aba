"""Reading and writing vector files with clear errors and atomic writes."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ._errors import DataFileError, InputError, JsplanError

__all__ = ["read_vector", "write_vector_atomic", "write_table_atomic", "atomic_path"]

#: Output drivers by file suffix.
VECTOR_DRIVERS = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GPKG",
    ".shp": "ESRI Shapefile",
    ".fgb": "FlatGeobuf",
}
TABLE_SUFFIXES = (".csv", ".parquet", ".geoparquet", ".md")


def read_vector(
    path: str | os.PathLike,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    where: str | None = None,
) -> gpd.GeoDataFrame:
    """Read any vector file pyogrio reads (and GeoParquet), with one-line errors.

    Parameters
    ----------
    path : path-like
        GeoPackage, GeoJSON, Shapefile (``.shp`` or a zipped ``.shp.zip``), FlatGeobuf,
        GeoParquet (``.parquet``) or OpenStreetMap data (``.osm.pbf`` / ``.osm``, read with
        GDAL's OSM driver; the ``lines`` layer by default, with ``highway`` and ``railway``
        columns).
    layer : str, optional
        Layer inside a multi-layer file (GeoPackage, OSM).
    encoding : str, optional
        Attribute encoding for Shapefiles without a ``.cpg`` (Chinese data is often ``GBK``).
    where : str, optional
        OGR SQL filter, e.g. ``"highway IN ('motorway', 'trunk')"`` or ``"railway = 'rail'"``.
        Not supported for GeoParquet.

    Returns
    -------
    GeoDataFrame

    Raises
    ------
    DataFileError
        The file is missing, unreadable or not a vector dataset.
    """
    p = Path(path)
    if not p.exists():
        raise DataFileError(f"file not found: {p}")
    if p.is_dir() and p.suffix.lower() not in (".gdb",):
        raise DataFileError(f"expected a vector file, got a folder: {p}")
    suffix = p.suffix.lower()
    try:
        if suffix in (".parquet", ".geoparquet"):
            if where:
                raise InputError("--where is not supported for GeoParquet; filter the file first")
            return gpd.read_parquet(p)
        kwargs = {}
        if suffix in (".pbf", ".osm") and layer is None:
            layer = "lines"  # OSM ways; a dual carriageway is two ways - see the README
        if layer is not None:
            kwargs["layer"] = layer
        if where:
            kwargs["where"] = where
        if encoding is not None:
            kwargs["encoding"] = encoding
        return gpd.read_file(p, engine="pyogrio", **kwargs)
    except JsplanError:
        raise
    except Exception as exc:  # pyogrio/GDAL/arrow raise many types for corrupt files
        raise DataFileError(f"cannot read {p}: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` only on success.

    A failure (exception) removes the temporary file, so ``target`` is either the complete
    new file or whatever was there before - never half written.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # drivers (GPKG) refuse to open an existing empty file
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        for leftover in (tmp_path, *tmp_path.parent.glob(tmp_path.name + "-*")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def write_vector_atomic(gdf: gpd.GeoDataFrame, path: str | os.PathLike) -> Path:
    """Write a GeoDataFrame atomically; the driver follows the suffix.

    ``.geojson`` files are written RFC 7946-style (WGS84, 6 decimals), ``.parquet`` as
    GeoParquet, ``.gpkg``/``.shp``/``.fgb`` through pyogrio.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".geoparquet"):
        with atomic_path(path) as tmp:
            gdf.to_parquet(tmp, index=False)
        return path
    if suffix not in VECTOR_DRIVERS:
        raise InputError(
            f"unsupported output format {suffix!r}; use one of "
            f"{', '.join(sorted([*VECTOR_DRIVERS, '.parquet']))}"
        )
    driver = VECTOR_DRIVERS[suffix]
    if driver == "ESRI Shapefile":
        # a shapefile is several files: write them in a temporary folder, then move each
        with tempfile.TemporaryDirectory(dir=path.parent or ".") as d:
            tmp = Path(d) / path.name
            gdf.to_file(tmp, driver=driver, engine="pyogrio", encoding="UTF-8")
            for part in Path(d).iterdir():
                os.replace(part, path.with_suffix(part.suffix))
        return path
    opts = {}
    if driver == "GeoJSON":
        opts = {"COORDINATE_PRECISION": 6, "RFC7946": "YES", "WRITE_NAME": "NO"}
    layer = re.sub(r"\W+", "_", path.stem, flags=re.ASCII).strip("_") or "layer"
    with atomic_path(path) as tmp:
        gdf.to_file(
            tmp, driver=driver, engine="pyogrio", layer=layer if driver == "GPKG" else None,
            layer_options=opts or None,
        )
    return path


def write_table_atomic(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a plain table (``.csv`` UTF-8, ``.parquet``) atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            df.to_csv(tmp, index=False, encoding="utf-8")
        elif suffix in (".parquet", ".geoparquet"):
            df.to_parquet(tmp, index=False)
        else:
            raise InputError(f"unsupported table format {suffix!r}; use .csv or .parquet")
    return path
