"""The shipped layers: where they live, the catalog, and loading a layer by name."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ._errors import DataFileError, UnknownNameError
from .crs import STORAGE_CRS

__all__ = ["layers_dir", "catalog", "layer_names", "load_layer", "layer_info"]

_ENV = "JSPLAN_LAYERS"


def layers_dir() -> Path:
    """Return the folder holding the shipped layers and ``catalog.json``.

    Looked up in this order: the ``JSPLAN_LAYERS`` environment variable; ``layers/`` inside
    the installed package (wheel installs); ``layers/`` beside the package (a source checkout
    or an editable install).

    Raises
    ------
    DataFileError
        No folder with a ``catalog.json`` was found.
    """
    candidates = []
    if os.environ.get(_ENV):
        candidates.append(Path(os.environ[_ENV]))
    here = Path(__file__).resolve().parent
    candidates += [here / "layers", here.parent / "layers"]
    for c in candidates:
        if (c / "catalog.json").is_file():
            return c
    raise DataFileError(
        f"no layers folder with a catalog.json found (looked in {', '.join(map(str, candidates))}); "
        f"set {_ENV} to the layers folder"
    )


@functools.lru_cache(maxsize=4)
def _catalog_raw(folder: str) -> dict:
    path = Path(folder) / "catalog.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataFileError(f"cannot read layer catalog {path}: {exc}") from exc


def catalog() -> pd.DataFrame:
    """Return the layer catalog as a table, one row per layer.

    Columns include ``name``, ``title_zh``, ``title_en``, ``geometry_type``, ``crs``,
    ``source``, ``licence``, ``date``, ``build`` and ``accuracy``.

    Examples
    --------
    >>> "cities" in set(catalog()["name"])
    True
    """
    raw = _catalog_raw(str(layers_dir()))
    df = pd.DataFrame(raw["layers"])
    df.insert(4, "crs", raw.get("crs", STORAGE_CRS))
    return df


def layer_names() -> list[str]:
    """Names of the shipped layers, in catalog order."""
    return [entry["name"] for entry in _catalog_raw(str(layers_dir()))["layers"]]


def layer_info(name: str) -> dict:
    """Catalog entry of one layer.

    Raises
    ------
    UnknownNameError
        ``name`` is not in the catalog; the message lists the available layers.
    """
    for entry in _catalog_raw(str(layers_dir()))["layers"]:
        if entry["name"] == name:
            return dict(entry)
    raise UnknownNameError(
        f"unknown layer {name!r}; available layers: {', '.join(layer_names())}"
    )


@functools.lru_cache(maxsize=32)
def _read_layer(path: str) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # corrupt shipped file: say which
        raise DataFileError(f"cannot read shipped layer {path}: {exc}") from exc
    if gdf.crs is None:
        gdf = gdf.set_crs(STORAGE_CRS)
    return gdf


def load_layer(name: str) -> gpd.GeoDataFrame:
    """Load a shipped layer by name as a new GeoDataFrame (WGS84, EPSG:4326).

    Parameters
    ----------
    name : str
        A name from :func:`layer_names` (``"cities"``, ``"counties"``, ...).

    Returns
    -------
    GeoDataFrame
        A fresh copy; changing it does not change later loads.

    Raises
    ------
    UnknownNameError
        Unknown name; the message lists the available layers.

    Examples
    --------
    >>> cities = load_layer("cities")
    >>> len(cities), cities.crs.to_epsg()
    (13, 4326)
    """
    info = layer_info(name)
    path = layers_dir() / info["file"]
    if not path.is_file():
        raise DataFileError(f"layer {name!r} is in the catalog but its file {path} is missing")
    return _read_layer(str(path)).copy()
