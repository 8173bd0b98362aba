"""Make folium maps self-contained: every JS/CSS/font/image asset inlined, nothing fetched.

A plain folium map links Leaflet, jQuery, Bootstrap, Font Awesome and more from CDNs and is
blank on a machine without internet access. This module replaces each of those links with the
vendored file from ``jsplan_gis/static/`` (the exact versions folium 0.20 and branca 0.8 pin,
packed from the npm registry: see ``static/ASSETS.md`` and ``static/fetch_assets.sh``), inlines
the images and fonts the stylesheets reference as ``data:`` URIs, and then refuses the page if
any remote reference is left (:class:`OfflineAssetError`). Tile layers are the one exception,
and only for the tile templates the caller explicitly allows.

Why inline rather than ship files beside the HTML: one ``.html`` file is what planners e-mail
and copy onto intranet shares; a folder of assets gets separated from its page. Inlining costs
~0.3 MB per map (Leaflet + d3), far less than the geometry.

The assets that folium adds by default but that only serve Bootstrap widgets and
Leaflet.awesome-markers icons (jQuery, Bootstrap JS/CSS, Bootstrap 3 glyphicons, Font Awesome,
awesome-markers) are dropped unless the page uses ``L.AwesomeMarkers``; then awesome-markers and
Font Awesome (woff2 fonts inlined) are inlined. Bootstrap 3 glyphicons are not available from the
npm registry at the pinned version and are not shipped: an icon with ``prefix="glyphicon"``
raises with a hint to use ``prefix="fa"``.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path

from branca.element import Figure

from ._errors import JsplanError

__all__ = [
    "OfflineAssetError",
    "OfflineFigure",
    "ASSETS",
    "inline_assets",
    "assert_offline",
    "make_offline",
    "static_dir",
]

log = logging.getLogger(__name__)


class OfflineAssetError(JsplanError, RuntimeError):
    """A web map still references a remote asset (script, stylesheet, font, image)."""


def static_dir() -> Path:
    """Folder of the vendored web assets (``jsplan_gis/static``)."""
    return Path(__file__).resolve().parent / "static"


#: CDN URL used by folium 0.20 / branca 0.8  ->  vendored file under :func:`static_dir`.
ASSETS: dict[str, str] = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": "leaflet/leaflet.js",
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": "leaflet/leaflet.css",
    "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js": "d3/d3.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet-groupedlayercontrol/0.6.1/"
    "leaflet.groupedlayercontrol.min.js": "groupedlayercontrol/leaflet.groupedlayercontrol.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet-groupedlayercontrol/0.6.1/"
    "leaflet.groupedlayercontrol.min.css": "groupedlayercontrol/leaflet.groupedlayercontrol.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/"
    "leaflet.awesome-markers.js": "awesome-markers/leaflet.awesome-markers.js",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/"
    "leaflet.awesome-markers.css": "awesome-markers/leaflet.awesome-markers.css",
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/"
    "css/all.min.css": "fontawesome/css/all.min.css",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/"
    "leaflet.awesome.rotate.min.css": "folium/leaflet.awesome.rotate.min.css",
}

#: folium defaults that only Bootstrap widgets need: always dropped.
_BOOTSTRAP_ONLY = (
    "https://code.jquery.com/jquery-3.7.1.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css",
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
)
#: folium defaults that only awesome-markers icons need: dropped unless the page uses them.
_ICON_ONLY = tuple(u for u in ASSETS if "awesome" in u or "fontawesome" in u)

_MIME = {
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".gif": "image/gif",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
}
# Leaflet finds its default marker images through a CSS url(); once inlined that path is a data:
# URI, so set the three URLs explicitly.
_LEAFLET_ICON_FIX = (
    "\nL.Icon.Default.imagePath='';L.Icon.Default.mergeOptions({{iconUrl:'{icon}',"
    "iconRetinaUrl:'{icon2x}',shadowUrl:'{shadow}'}});\n"
)

_SCRIPT_RE = re.compile(r"""<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["'][^>]*>\s*</script>""", re.I)
_LINK_RE = re.compile(r"""<link\b[^>]*\bhref\s*=\s*["']([^"']+)["'][^>]*/?>""", re.I)
_CSS_URL_RE = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""", re.I)
_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.I)
_TILE_RE = re.compile(r"""L\.tileLayer\(\s*["']([^"']+)["']""")


def _data_uri(path: Path) -> str:
    mime = _MIME.get(path.suffix.lower())
    if mime is None:
        raise OfflineAssetError(f"cannot inline {path.name}: unknown type {path.suffix!r}")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _asset_path(rel: str) -> Path:
    path = static_dir() / rel
    if not path.is_file():
        raise OfflineAssetError(
            f"vendored asset {rel} is missing from {static_dir()}; "
            "re-create it with `bash jsplan_gis/static/fetch_assets.sh`"
        )
    return path


@functools.cache
def _inline_css(rel: str) -> str:
    """Return a vendored stylesheet with every relative ``url()`` turned into a data: URI."""
    path = _asset_path(rel)
    css = path.read_text(encoding="utf-8")

    def repl(m: re.Match) -> str:
        ref = m.group(2).strip()
        if ref.startswith(("data:", "#")):
            return m.group(0)
        if _REMOTE.match(ref):
            raise OfflineAssetError(f"{rel} references a remote file {ref}")
        target = (path.parent / ref.split("?")[0].split("#")[0]).resolve()
        if not target.is_file():
            raise OfflineAssetError(f"{rel} references {ref}, which is not shipped in {static_dir()}")
        return f'url("{_data_uri(target)}")'

    return _CSS_URL_RE.sub(repl, css)


@functools.cache
def _inline_js(rel: str) -> str:
    js = _asset_path(rel).read_text(encoding="utf-8")
    if rel == "leaflet/leaflet.js":
        images = static_dir() / "leaflet" / "images"
        js += _LEAFLET_ICON_FIX.format(
            icon=_data_uri(images / "marker-icon.png"),
            icon2x=_data_uri(images / "marker-icon-2x.png"),
            shadow=_data_uri(images / "marker-shadow.png"),
        )
    # a literal "</script" inside inlined code would end the element early
    return js.replace("</script", "<\\/script")


def _uses_icons(html: str) -> bool:
    return "L.AwesomeMarkers" in html or "AwesomeMarkers.Icon" in html


def inline_assets(html: str, *, allowed_tiles: Iterable[str] = ()) -> str:
    """Return ``html`` with every known CDN asset inlined and the unneeded ones dropped.

    Parameters
    ----------
    html : str
        A rendered folium page.
    allowed_tiles : iterable of str
        Tile URL templates the user chose; the only remote references allowed to remain.

    Returns
    -------
    str
        The self-contained page.

    Raises
    ------
    OfflineAssetError
        A remote script, stylesheet, font or image is left (the message lists them), or a
        vendored file is missing.
    """
    icons = _uses_icons(html)
    if icons and re.search(r"""["']prefix["']\s*:\s*["']glyphicon["']""", html):
        raise OfflineAssetError(
            "a marker icon uses prefix='glyphicon' (Bootstrap 3 glyphicons), which is not shipped "
            "for offline use; use folium.Icon(prefix='fa', icon=...) (Font Awesome 6) instead"
        )
    drop = set(_BOOTSTRAP_ONLY) | (set() if icons else set(_ICON_ONLY))

    def script(m: re.Match) -> str:
        url = m.group(1)
        if url in drop:
            return ""
        if url in ASSETS:
            return f"<script>/* {ASSETS[url]} */\n{_inline_js(ASSETS[url])}</script>"
        return m.group(0)

    def link(m: re.Match) -> str:
        url = m.group(1)
        if url in drop:
            return ""
        if url in ASSETS:
            return f"<style>/* {ASSETS[url]} */\n{_inline_css(ASSETS[url])}</style>"
        return m.group(0)

    out = _LINK_RE.sub(link, _SCRIPT_RE.sub(script, html))
    assert_offline(out, allowed_tiles=allowed_tiles)
    return out


def remote_references(html: str, *, allowed_tiles: Iterable[str] = ()) -> list[str]:
    """List the remote asset references in ``html`` (script/link/img/iframe/source, CSS, tiles).

    Data-derived text is not looked at (a URL written in a popup loads nothing); the things
    that make a browser fetch are: ``src``/``href`` of loading tags, CSS ``url()`` and
    ``@import``, and Leaflet tile templates other than ``allowed_tiles``.
    """
    allowed = set(allowed_tiles)
    found: list[str] = []
    for m in re.finditer(
        r"""<(script|img|iframe|source|audio|video|embed)\b[^>]*\bsrc\s*=\s*["']([^"']+)""", html, re.I
    ):
        if _REMOTE.match(m.group(2)):
            found.append(m.group(2))
    for m in _LINK_RE.finditer(html):
        if _REMOTE.match(m.group(1)):
            found.append(m.group(1))
    for m in _CSS_URL_RE.finditer(html):
        if _REMOTE.match(m.group(2)):
            found.append(m.group(2))
    found += [m.group(1) for m in re.finditer(r"""@import\s+(?:url\()?["']?([^"')\s;]+)""", html)]
    found += [u for u in map(_js_unescape, _TILE_RE.findall(html)) if u not in allowed]
    return found


def _js_unescape(text: str) -> str:
    """Undo JSON string escapes (``\u0026`` for ``&``) of a URL found in a script."""
    try:
        return json.loads(f'"{text}"')
    except ValueError:
        return text


def assert_offline(html: str, *, allowed_tiles: Iterable[str] = ()) -> None:
    """Raise :class:`OfflineAssetError` if ``html`` would fetch anything but allowed tiles."""
    left = remote_references(html, allowed_tiles=allowed_tiles)
    if left:
        raise OfflineAssetError(
            f"the map still references {len(left)} remote asset(s): {', '.join(sorted(set(left)))}; "
            "add the file to jsplan_gis/static (fetch_assets.sh) and to _offline.ASSETS"
        )


class OfflineFigure(Figure):
    """A branca Figure whose rendered HTML is self-contained (see :func:`inline_assets`).

    Saving, ``_repr_html_`` in notebooks and ``render()`` all go through :meth:`render`.
    """

    def __init__(self, *args, allowed_tiles: Iterable[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.allowed_tiles = tuple(allowed_tiles)

    def render(self, **kwargs) -> str:
        """Render the page, then inline every asset; raise if a remote one is left."""
        return inline_assets(super().render(**kwargs), allowed_tiles=self.allowed_tiles)


def make_offline(m, *, allowed_tiles: Iterable[str] = ()):
    """Attach ``m`` (a ``folium.Map``) to an :class:`OfflineFigure` and return ``m``.

    Examples
    --------
    >>> import folium
    >>> m = make_offline(folium.Map(tiles=None))
    >>> html = m.get_root().render()
    >>> "cdn.jsdelivr" in html, "L.map(" in html
    (False, True)
    """
    fig = OfflineFigure(allowed_tiles=allowed_tiles)
    fig.add_child(m)
    return m
