"""``jsplan map``: write the offline web maps (wired into :mod:`jsplan_gis.cli` by the lead)."""

from __future__ import annotations

from pathlib import Path

from ._errors import InputError, UnknownNameError
from .webmap import MAPS, write_maps

__all__ = ["map_command", "DEFAULT_OUTPUT"]

#: Output folder when none is given: ``maps/`` in the current directory.
DEFAULT_OUTPUT = Path("maps")


def map_command(
    output: Path | None,
    map_name: str | None,
    year: int | None,
    basemap: str,
    attribution: str | None = None,
    basemap_datum: str = "wgs84",
) -> list[Path]:
    """Write one map (or all of them) and ``index.html``; return the files written.

    Parameters
    ----------
    output : Path, optional
        Output folder; default ``maps/`` in the current directory.
    map_name : str, optional
        One of ``overview``, ``density``, ``demo_zone``, ``g42_corridor``; default all.
    year : int, optional
        Year of the density map (default: 2020, latest and 2025 as planned).
    basemap : str
        ``none``, ``osm``, ``gaode`` or an ``http(s)://...{z}/{x}/{y}...`` tile template.
    attribution : str, optional
        Attribution for a user-supplied tile template.
    basemap_datum : str
        ``wgs84`` or ``gcj02``: datum of a user-supplied tile template.

    Raises
    ------
    UnknownNameError
        Unknown map name.
    InputError
        Bad basemap, datum or year.
    """
    if map_name is not None and map_name not in MAPS:
        raise UnknownNameError(f"unknown map {map_name!r}; choose one of {', '.join(MAPS)}")
    if year is not None and not 1949 <= int(year) <= 2100:
        raise InputError(f"year {year} is out of range; give a calendar year such as 2020 or 2025")
    if basemap_datum not in ("wgs84", "gcj02"):
        raise InputError(f"unknown basemap datum {basemap_datum!r}; use 'wgs84' or 'gcj02'")
    return write_maps(
        output if output is not None else DEFAULT_OUTPUT,
        maps=None if map_name is None else [map_name],
        year=year,
        basemap=basemap,
        attribution=attribution,
        basemap_datum=basemap_datum,  # type: ignore[arg-type]
    )
