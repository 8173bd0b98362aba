"""Shared helpers for the web-map tests: a hostile feature name and maps built with it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

#: A name that would run script, break out of attributes or JS strings if it were not escaped.
EVIL = "<script>alert(1)</script>\"'`${x}"


@contextlib.contextmanager
def evil_airport() -> Iterator[None]:
    """Give the first airport (and the first port) the hostile name while maps are built."""
    import jsplan_gis.webmap as wm

    original = wm.load_layer

    def patched(name: str):
        gdf = original(name)
        if name in ("airports", "ports"):
            gdf.loc[gdf.index[0], "name_zh"] = EVIL
            gdf.loc[gdf.index[0], "source"] = "src " + EVIL
        return gdf

    mp = pytest.MonkeyPatch()
    mp.setattr(wm, "load_layer", patched)
    try:
        yield
    finally:
        mp.undo()


def build_all(folder: Path) -> list[Path]:
    """Write every map (with the hostile airport name) into ``folder``."""
    from jsplan_gis.webmap import write_maps

    with evil_airport():
        return write_maps(folder)
