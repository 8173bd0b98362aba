"""Validation of user layers: CRS, coordinates, geometry types, emptiness.

Everything wrong with a layer is reported in one message that says what was received, what
was expected and how to fix it.
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from ._errors import CRSMismatchError, EmptyLayerError, GeometryError, UnknownNameError
from .crs import STORAGE_CRS, gcj02_to_wgs84_geometry

__all__ = ["to_storage_crs", "prepare_lines", "prepare_polygons", "require_field"]

#: A generous box around the Yangtze River Delta, used only to recognise swapped lat/lon.
_YRD_BOX = (105.0, 20.0, 135.0, 45.0)

_LINE_TYPES = ("LineString", "MultiLineString", "LinearRing")
_POLY_TYPES = ("Polygon", "MultiPolygon")


def _box_overlaps(b: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    return not (b[2] < box[0] or b[0] > box[2] or b[3] < box[1] or b[1] > box[3])


def _check_swapped(bounds: np.ndarray, what: str) -> None:
    """Raise if the layer misses the YRD box but would hit it with x and y exchanged."""
    swapped = bounds[[1, 0, 3, 2]]
    if not _box_overlaps(bounds, _YRD_BOX) and _box_overlaps(swapped, _YRD_BOX):
        raise CRSMismatchError(
            f"{what}: longitude/latitude look swapped (x={bounds[0]:.2f}..{bounds[2]:.2f}, "
            f"y={bounds[1]:.2f}..{bounds[3]:.2f}); write coordinates as (lon, lat), e.g. "
            "with shapely.transform(geoms, lambda xy: xy[:, ::-1])"
        )


def to_storage_crs(
    gdf: gpd.GeoDataFrame,
    what: str,
    *,
    datum: Literal["auto", "gcj02"] = "auto",
) -> gpd.GeoDataFrame:
    """Check a layer's CRS against its coordinates and return it in WGS84 (EPSG:4326).

    Parameters
    ----------
    gdf : GeoDataFrame
        Any layer with a CRS.
    what : str
        How the layer is called in messages (``"network"``, a file name).
    datum : {"auto", "gcj02"}
        ``"gcj02"`` declares that the geographic coordinates are GCJ-02 ('Mars' coordinates
        from AMap/Tencent); they are converted to WGS84. A CRS cannot say this by itself.

    Raises
    ------
    CRSMismatchError
        No CRS; coordinates outside the range of a geographic CRS (projected metres labelled
        as degrees); coordinates outside the area of use of a projected CRS (degrees labelled
        as metres); latitude and longitude swapped.
    """
    if gdf.crs is None:
        raise CRSMismatchError(
            f"{what} has no CRS; declare it (e.g. EPSG:4326 for WGS84 lon/lat, EPSG:4490 for "
            "CGCS2000) with --crs on the command line or GeoDataFrame.set_crs() in Python"
        )
    try:
        crs = CRS.from_user_input(gdf.crs)
    except CRSError as exc:  # pragma: no cover - geopandas validates already
        raise CRSMismatchError(f"{what} has an unreadable CRS: {exc}") from exc
    geoms = gdf.geometry.values
    present = ~(shapely.is_missing(np.asarray(geoms)) | shapely.is_empty(np.asarray(geoms)))
    if not present.any():
        return gdf.to_crs(STORAGE_CRS) if not crs.equals(CRS.from_user_input(STORAGE_CRS)) else gdf
    bounds = np.asarray(gpd.GeoSeries(geoms[present]).total_bounds)
    if crs.is_geographic:
        _check_swapped(bounds, what)
        if np.abs(bounds[[0, 2]]).max() > 180.0 or np.abs(bounds[[1, 3]]).max() > 90.0:
            raise CRSMismatchError(
                f"{what} is labelled {crs.to_string()} (degrees) but its coordinates reach "
                f"x={bounds[0]:.0f}..{bounds[2]:.0f}, y={bounds[1]:.0f}..{bounds[3]:.0f}: these look "
                "like projected metres; set the layer's real projected CRS"
            )
    else:
        aou = crs.area_of_use
        out = gdf.to_crs(STORAGE_CRS)
        b = np.asarray(out.geometry.values[present].total_bounds) if present.all() else np.asarray(
            gpd.GeoSeries(out.geometry.values[present]).total_bounds
        )
        if not np.isfinite(b).all():
            raise CRSMismatchError(
                f"{what}: coordinates cannot be transformed from {crs.to_string()} to WGS84; "
                "check the layer's CRS"
            )
        if aou is not None:
            margin = 5.0
            inside = (
                b[0] >= aou.west - margin
                and b[2] <= aou.east + margin
                and b[1] >= aou.south - margin
                and b[3] <= aou.north + margin
            )
            if not inside:
                hint = ""
                if np.abs(bounds).max() <= 180.0:
                    hint = " (the raw coordinates look like degrees: is the layer really EPSG:4326?)"
                raise CRSMismatchError(
                    f"{what} is labelled {crs.name} but its coordinates fall outside that CRS's "
                    f"area of use ({aou.west:.1f}..{aou.east:.1f}E, {aou.south:.1f}..{aou.north:.1f}N){hint}"
                )
        gdf = out
        bounds = b
    if crs.is_geographic and not crs.equals(CRS.from_user_input(STORAGE_CRS)):
        gdf = gdf.to_crs(STORAGE_CRS)
        bounds = np.asarray(gpd.GeoSeries(gdf.geometry.values[present]).total_bounds)
    _check_swapped(bounds, what)
    if datum == "gcj02":
        gdf = gdf.set_geometry(gcj02_to_wgs84_geometry(gdf.geometry.values))
        gdf = gdf.set_crs(STORAGE_CRS, allow_override=True)
    return gdf


def _check_geometries(
    gdf: gpd.GeoDataFrame, what: str, allowed: tuple[str, ...], kind: str, drop_invalid: bool
) -> gpd.GeoDataFrame:
    if len(gdf) == 0:
        raise EmptyLayerError(f"{what} has no features")
    geoms = np.asarray(gdf.geometry.values)
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    types = np.array(
        [t if t is not None else "None" for t in gdf.geometry.geom_type.to_numpy()], dtype=object
    )
    wrong = ~missing & ~empty & ~np.isin(types, allowed)
    problems = []
    if wrong.any():
        found = ", ".join(sorted(set(types[wrong])))
        raise GeometryError(
            f"{what} must contain {kind} ({'/'.join(allowed[:2])}) but {int(wrong.sum())} of "
            f"{len(gdf)} features are {found}"
            + ("; did you swap --network and --regions?" if kind == "lines" and "Polygon" in found else "")
            + ("; did you swap --network and --regions?" if kind == "polygons" and "LineString" in found else "")
        )
    bad = np.zeros(len(gdf), dtype=bool)
    ok = ~missing & ~empty
    invalid = np.zeros(len(gdf), dtype=bool)
    invalid[ok] = ~shapely.is_valid(geoms[ok])
    if kind == "lines":
        # a line whose points coincide is 'invalid' to GEOS but simply measures 0 km
        zero = invalid & (shapely.length(geoms) == 0)
        invalid &= ~zero
    for mask, label in ((missing, "missing"), (empty, "empty"), (invalid, "invalid")):
        if mask.any():
            rows = ", ".join(str(i) for i in gdf.index[mask][:5])
            more = "" if mask.sum() <= 5 else ", ..."
            problems.append(f"{int(mask.sum())} {label} geometr{'y' if mask.sum() == 1 else 'ies'} (rows {rows}{more})")
            bad |= mask
    if problems:
        if drop_invalid:
            gdf = gdf[~bad]
            if len(gdf) == 0:
                raise EmptyLayerError(f"{what} has no usable features: {'; '.join(problems)}")
            return gdf
        reason = ""
        if invalid.any():
            first = np.flatnonzero(invalid)[0]
            reason = f" [{shapely.is_valid_reason(geoms[first])}]"
        raise GeometryError(
            f"{what}: {'; '.join(problems)}{reason}; fix them (e.g. shapely.make_valid) or pass "
            "--drop-invalid to leave them out"
        )
    return gdf


def prepare_lines(
    gdf: gpd.GeoDataFrame, what: str = "network", *, drop_invalid: bool = False,
    datum: Literal["auto", "gcj02"] = "auto",
) -> gpd.GeoDataFrame:
    """Validate a line network and return it in WGS84 (see :func:`to_storage_crs`)."""
    gdf = _check_geometries(gdf, what, _LINE_TYPES, "lines", drop_invalid)
    return to_storage_crs(gdf, what, datum=datum)


def prepare_polygons(
    gdf: gpd.GeoDataFrame, what: str = "regions", *, drop_invalid: bool = False,
    datum: Literal["auto", "gcj02"] = "auto",
) -> gpd.GeoDataFrame:
    """Validate region polygons and return them in WGS84 (see :func:`to_storage_crs`)."""
    gdf = _check_geometries(gdf, what, _POLY_TYPES, "polygons", drop_invalid)
    return to_storage_crs(gdf, what, datum=datum)


def require_field(gdf: gpd.GeoDataFrame, field: str, what: str) -> None:
    """Raise :class:`UnknownNameError` listing the fields if ``field`` is absent."""
    if field not in gdf.columns or field == gdf.geometry.name:
        fields = [c for c in gdf.columns if c != gdf.geometry.name]
        raise UnknownNameError(
            f"{what} has no field {field!r}; available fields: {', '.join(map(str, fields)) or '(none)'}"
        )
