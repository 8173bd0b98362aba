"""Coordinate reference systems and datums used by jsplan_gis.

Storage
    Every shipped layer is stored in WGS84 geographic coordinates (``EPSG:4326``), the datum
    of OpenStreetMap, GPS and GeoJSON (RFC 7946). CGCS2000 (``EPSG:4490``) differs from WGS84
    by well under 1 m in Jiangsu; a layer declared as EPSG:4490 is accepted and relabelled
    (PROJ's own 4490 -> 4326 transformation is the same null shift).
Areas
    :data:`EQUAL_AREA_CRS`, an Albers equal-area conic on GRS80 fitted to Jiangsu
    (standard parallels 31° N and 34.5° N, central meridian 119.5° E). Areas in it are exact
    up to floating point; it distorts lengths by up to ~1 %, so it is never used for lengths.
Lengths
    Geodesic on the WGS84 ellipsoid (:func:`jsplan_gis.measure.geodesic_length_km`).
GCJ-02
    The obfuscated datum of AMap (高德), Tencent and most Chinese web maps. It is not a CRS
    that PROJ knows; :func:`gcj02_to_wgs84` and :func:`wgs84_to_gcj02` implement the public
    forward model and an iterative inverse accurate to better than 1 mm.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "STORAGE_CRS",
    "EQUAL_AREA_CRS",
    "DISPLAY_CRS",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "gcj02_to_wgs84_geometry",
    "wgs84_to_gcj02_geometry",
]

#: CRS of every shipped layer (WGS84 geographic, lon/lat order).
STORAGE_CRS = "EPSG:4326"
#: Equal-area CRS for areas (Albers conic on GRS80 fitted to Jiangsu; metres).
EQUAL_AREA_CRS = (
    "+proj=aea +lat_0=0 +lon_0=119.5 +lat_1=31 +lat_2=34.5 "
    "+x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs +type=crs"
)
#: CRS Leaflet draws in; for display only, never for measurement.
DISPLAY_CRS = "EPSG:3857"

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 model.
_A = 6378245.0
_EE = 0.00669342162296594323


def _in_china(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Return the rough box inside which the GCJ-02 shift is applied (as AMap does)."""
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def _shift(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    """GCJ-02 minus WGS84 in degrees at WGS84 position (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
        + common
        + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
        + common
        + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    )
    radlat = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * pi)
    inside = _in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Convert WGS84 longitudes/latitudes (degrees) to GCJ-02 (degrees).

    Parameters
    ----------
    lon, lat : array_like
        WGS84 coordinates in degrees.

    Returns
    -------
    tuple of ndarray
        GCJ-02 longitude and latitude in degrees. Points outside the rough China box are
        returned unchanged, as AMap does.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(118.7969, 32.0603)
    >>> round(float(lon - 118.7969), 4), round(float(lat - 32.0603), 4)
    (0.0052, -0.0021)
    """
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    dlon, dlat = _shift(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[NDArray, NDArray]:
    """Convert GCJ-02 longitudes/latitudes (degrees) to WGS84 by fixed-point iteration.

    The GCJ-02 shift varies slowly (by < 1e-4 of itself per metre), so iterating
    ``w <- w - (forward(w) - g)`` converges geometrically; a one-step inverse leaves errors of
    ~1-3 m, the iteration converges to ``tol_deg`` (1e-10° ≈ 0.01 mm) in 3-5 steps.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 coordinates in degrees.
    tol_deg : float, default 1e-10
        Stop when every forward residual is below this many degrees.
    max_iter : int, default 30
        Iteration cap (never reached in practice).

    Returns
    -------
    tuple of ndarray
        WGS84 longitude and latitude in degrees.

    Examples
    --------
    >>> glon, glat = wgs84_to_gcj02(120.0, 31.5)
    >>> lon, lat = gcj02_to_wgs84(glon, glat)
    >>> bool(abs(lon - 120.0) < 1e-9 and abs(lat - 31.5) < 1e-9)
    True
    """
    glon = np.asarray(lon, dtype="float64")
    glat = np.asarray(lat, dtype="float64")
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        rlon, rlat = flon - glon, flat - glat
        wlon = wlon - rlon
        wlat = wlat - rlat
        if np.all(np.abs(rlon) < tol_deg) and np.all(np.abs(rlat) < tol_deg):
            break
    return wlon, wlat


def _transform_geoms(geoms, func):
    import shapely

    def _xy(coords: NDArray) -> NDArray:
        x, y = func(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, _xy)


def gcj02_to_wgs84_geometry(geoms):
    """Convert shapely geometries (or an array of them) from GCJ-02 to WGS84 (vectorised)."""
    return _transform_geoms(geoms, gcj02_to_wgs84)


def wgs84_to_gcj02_geometry(geoms):
    """Convert shapely geometries (or an array of them) from WGS84 to GCJ-02 (vectorised)."""
    return _transform_geoms(geoms, wgs84_to_gcj02)
