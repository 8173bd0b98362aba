"""Exception hierarchy of jsplan_gis.

Every error subclasses a built-in (``ValueError``, ``KeyError``, ``OSError``) so callers may
catch either the specific class or the built-in, as with rasterio's ``CRSError(ValueError)``.
Messages say what was received, what was expected and how to fix it.
"""

from __future__ import annotations

__all__ = [
    "JsplanError",
    "InputError",
    "CRSMismatchError",
    "GeometryError",
    "EmptyLayerError",
    "UnknownNameError",
    "DataFileError",
]


class JsplanError(Exception):
    """Base class of every error raised on purpose by jsplan_gis."""


class InputError(JsplanError, ValueError):
    """An input value or file is unusable as given."""


class CRSMismatchError(InputError):
    """A layer has no CRS, a wrong CRS, or coordinates that contradict its CRS."""


class GeometryError(InputError):
    """Geometries are of the wrong type, invalid or empty."""


class EmptyLayerError(InputError):
    """A layer has no features (after filtering)."""


class UnknownNameError(JsplanError, KeyError):
    """A layer, field, region or target name is not known.

    ``str()`` gives the plain message (``KeyError`` would quote it).
    """

    def __str__(self) -> str:  # KeyError.__str__ adds quotes
        return str(self.args[0]) if self.args else ""


class DataFileError(JsplanError, OSError):
    """A file is missing, unreadable or corrupt."""
