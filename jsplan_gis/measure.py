"""Lengths and areas measured the right way: geodesic lengths, equal-area areas.

Both functions take shapely geometries in WGS84 longitude/latitude (the storage CRS) and are
vectorised: all segments of all geometries go through one call of PROJ's geodesic solver
(Karney's algorithm, accurate to nanometres), all vertices through one projection call.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod, Transformer

from .crs import EQUAL_AREA_CRS, STORAGE_CRS

__all__ = ["geodesic_length_km", "geodesic_distance_km", "equal_area_km2", "to_equal_area"]

_GEOD = Geod(ellps="WGS84")
_TO_EA = Transformer.from_crs(STORAGE_CRS, EQUAL_AREA_CRS, always_xy=True)


def geodesic_distance_km(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> NDArray[np.float64]:
    """Pairwise geodesic distance on the WGS84 ellipsoid, in km (vectorised).

    The same computation :func:`geodesic_length_km` applies to every segment of a line.

    Examples
    --------
    >>> round(float(geodesic_distance_km(119, 32, 120, 32)[0]), 3)
    94.493
    """
    lon1, lat1, lon2, lat2 = (np.atleast_1d(np.asarray(a, dtype="float64")) for a in (lon1, lat1, lon2, lat2))
    if lon1.size == 0:
        return np.zeros(0)
    _, _, dist_m = _GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist_m, dtype="float64") / 1000.0


def _flatten_parts(geoms: NDArray) -> tuple[NDArray, NDArray]:
    """Return single-part geometries and, for each, the index of the input it came from."""
    index = np.arange(len(geoms))
    parts = geoms
    while True:
        multi = shapely.get_num_geometries(parts) > 1
        multi |= shapely.get_type_id(parts) >= 4  # Multi* and collections, even of one part
        if not multi.any():
            return parts, index
        sub, sub_idx = shapely.get_parts(parts, return_index=True)
        parts = sub
        index = index[sub_idx]


def geodesic_length_km(geoms: ArrayLike) -> NDArray[np.float64]:
    """Geodesic length on the WGS84 ellipsoid of each line geometry, in km.

    Parameters
    ----------
    geoms : array_like of shapely.Geometry
        Geometries in WGS84 longitude/latitude degrees. Lines and multi-lines are measured
        part by part (parts are never joined); points, empty and missing geometries measure 0;
        polygons measure 0 (use :func:`equal_area_km2` - a polygon's length is not a network
        length).

    Returns
    -------
    ndarray of float64
        Length in kilometres, one per input geometry.

    Examples
    --------
    >>> from shapely import LineString
    >>> km = geodesic_length_km([LineString([(119, 32), (120, 32)])])
    >>> round(float(km[0]), 3)
    94.493
    """
    arr = np.asarray(geoms, dtype=object).ravel()
    out = np.zeros(len(arr), dtype="float64")
    if len(arr) == 0:
        return out
    arr = np.where(shapely.is_missing(arr), shapely.from_wkt("LINESTRING EMPTY"), arr)
    parts, owner = _flatten_parts(arr)
    is_line = np.isin(shapely.get_type_id(parts), (1, 2))  # LineString, LinearRing
    parts, owner = parts[is_line], owner[is_line]
    if len(parts) == 0:
        return out
    coords, cidx = shapely.get_coordinates(parts, return_index=True)
    if len(coords) < 2:
        return out
    same = cidx[1:] == cidx[:-1]
    a = coords[:-1][same]
    b = coords[1:][same]
    dist_km = geodesic_distance_km(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    seg_owner = owner[cidx[:-1][same]]
    return np.bincount(seg_owner, weights=dist_km, minlength=len(arr))


def to_equal_area(geoms: ArrayLike) -> NDArray:
    """Project WGS84 geometries to :data:`jsplan_gis.crs.EQUAL_AREA_CRS` (metres)."""
    arr = np.asarray(geoms, dtype=object).ravel()

    def _xy(coords: NDArray) -> NDArray:
        x, y = _TO_EA.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(arr, _xy)


def equal_area_km2(geoms: ArrayLike) -> NDArray[np.float64]:
    """Area of each geometry in km², computed in an equal-area projection.

    Parameters
    ----------
    geoms : array_like of shapely.Geometry
        Polygons in WGS84 longitude/latitude degrees. Lines and points have area 0.

    Returns
    -------
    ndarray of float64
        Area in square kilometres (ellipsoidal, GRS80).

    Examples
    --------
    >>> from shapely import box
    >>> round(float(equal_area_km2([box(119, 32, 120, 33)])[0]), 1)
    10421.3
    """
    projected = to_equal_area(geoms)
    area = shapely.area(projected)
    return np.where(np.isnan(area), 0.0, area) / 1e6
