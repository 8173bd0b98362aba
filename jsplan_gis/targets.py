"""The plan's quantitative targets, read from ``layers/targets.csv``."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from ._errors import InputError, UnknownNameError
from .layers import layers_dir

__all__ = ["Target", "load_targets", "density_target", "parse_target"]

#: Short names accepted on the command line for the density targets.
ALIASES = {"rail": "rail_density", "expressway": "expressway_density", "highway": "expressway_density"}


@dataclass(frozen=True)
class Target:
    """A network-density target: ``value`` km of route per ``per_area_km2`` km² of area.

    Attributes
    ----------
    id : str
        Identifier (``rail_density``, ``custom``).
    value : float
        Target density, km per ``per_area_km2`` km².
    per_area_km2 : float
        The area unit of the density, km² (10,000 for rail, 100 for expressways).
    label : str
        Human-readable description with the source.
    year : int or None
        Target year.
    """

    id: str
    value: float
    per_area_km2: float
    label: str = ""
    year: int | None = None

    @property
    def unit(self) -> str:
        """Unit text, e.g. ``km per 10000 km2``."""
        return f"km per {self.per_area_km2:g} km2"

    @property
    def column_suffix(self) -> str:
        """Column-name suffix carrying the unit, e.g. ``km_per_10000_km2``."""
        return f"km_per_{self.per_area_km2:g}_km2".replace(".", "p")


def load_targets() -> pd.DataFrame:
    """Return all targets of the plan (and the national outline) as a table.

    Columns: ``id``, ``indicator_zh``, ``indicator_en``, ``value``, ``comparator``, ``unit``,
    ``per_area_km2``, ``network``, ``target_year``, ``scope``, ``source_document``,
    ``section``, ``quote``, ``confidence``.
    """
    return pd.read_csv(layers_dir() / "targets.csv", encoding="utf-8", dtype={"value": str})


_SPEC = re.compile(
    r"^\s*(?P<value>\d+(?:\.\d+)?)\s*km\s*(?:/|per)\s*(?P<per>\d+(?:[.,]\d+)?)?\s*(?:km2|km²|km\^2|sqkm)\s*$",
    re.IGNORECASE,
)


def parse_target(spec: str) -> Target:
    """Parse ``"550 km/10000 km2"``-style text into a :class:`Target`.

    Examples
    --------
    >>> parse_target("5.1 km/100km2").value
    5.1
    >>> parse_target("0.3 km per km2").per_area_km2
    1.0
    """
    m = _SPEC.match(spec)
    if not m:
        raise InputError(
            f"cannot read target {spec!r}; give a target name ({', '.join(sorted(ALIASES))}, "
            "or an id from layers/targets.csv) or a value with its unit, e.g. '550 km/10000 km2'"
        )
    per = float((m.group("per") or "1").replace(",", ""))
    if per <= 0:
        raise InputError(f"target area unit must be positive, got {spec!r}")
    return Target("custom", float(m.group("value")), per, label=f"user target {spec}")


def density_target(name: str) -> Target:
    """Return a network-density target by name (``rail``, ``expressway``, a targets.csv id) or spec.

    Raises
    ------
    UnknownNameError
        Neither a known density target nor a ``<value> km/<area> km2`` spec.

    Examples
    --------
    >>> t = density_target("rail")
    >>> (t.value, t.per_area_km2, t.year)
    (550.0, 10000.0, 2025)
    """
    key = ALIASES.get(name.strip().lower(), name.strip())
    table = load_targets()
    dens = table[table["per_area_km2"].notna()]
    row = dens[dens["id"] == key]
    if len(row):
        r = row.iloc[0]
        return Target(
            id=str(r["id"]),
            value=float(r["value"]),
            per_area_km2=float(r["per_area_km2"]),
            label=f"{r['indicator_zh']} {r['value']} {r['unit']} ({r['source_document']}, {r['target_year']})",
            year=int(r["target_year"]),
        )
    if _SPEC.match(name):
        return parse_target(name)
    known = sorted(set(ALIASES) | set(dens["id"]))
    raise UnknownNameError(
        f"unknown target {name!r}; known density targets: {', '.join(known)}; "
        "or give a value with its unit, e.g. '550 km/10000 km2'"
    )
