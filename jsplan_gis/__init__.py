"""jsplan_gis: GIS toolkit for the Jiangsu implementation plan of the YRD integration strategy.

Layers are stored in WGS84 (EPSG:4326); lengths are geodesic, areas equal-area.
"""

from __future__ import annotations

__version__ = "0.1.0"

from ._errors import (
    CRSMismatchError,
    DataFileError,
    EmptyLayerError,
    GeometryError,
    InputError,
    JsplanError,
    UnknownNameError,
)
from ._io import read_vector, write_vector_atomic
from .crs import (
    EQUAL_AREA_CRS,
    STORAGE_CRS,
    gcj02_to_wgs84,
    gcj02_to_wgs84_geometry,
    wgs84_to_gcj02,
    wgs84_to_gcj02_geometry,
)
from .density import AREA_BASES, land_area_km2, network_density
from .layers import catalog, layer_names, layers_dir, load_layer
from .measure import equal_area_km2, geodesic_length_km
from .scenario import network_in_year
from .targets import Target, density_target, load_targets

_LAZY = {  # folium is imported only when a map is asked for
    "overview_map": "webmap",
    "density_map": "webmap",
    "closeup_map": "webmap",
    "write_maps": "webmap",
    "reconcile": "reconcile",
    "write_report": "report",
}


def __getattr__(name: str):
    """Import the map and report helpers on first use (keeps ``import jsplan_gis`` light)."""
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'jsplan_gis' has no attribute {name!r}")


__all__ = [
    "__version__",
    "closeup_map",
    "density_map",
    "overview_map",
    "reconcile",
    "write_maps",
    "write_report",
    "AREA_BASES",
    "CRSMismatchError",
    "DataFileError",
    "EQUAL_AREA_CRS",
    "EmptyLayerError",
    "GeometryError",
    "InputError",
    "JsplanError",
    "STORAGE_CRS",
    "Target",
    "UnknownNameError",
    "catalog",
    "density_target",
    "equal_area_km2",
    "gcj02_to_wgs84",
    "gcj02_to_wgs84_geometry",
    "geodesic_length_km",
    "land_area_km2",
    "layer_names",
    "layers_dir",
    "load_layer",
    "load_targets",
    "network_density",
    "network_in_year",
    "read_vector",
    "wgs84_to_gcj02",
    "wgs84_to_gcj02_geometry",
    "write_vector_atomic",
]
