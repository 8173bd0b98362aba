"""Offline, bilingual folium web maps of the plan for planners.

Four maps, each a self-contained HTML page (every script, stylesheet, font and image inlined by
:mod:`jsplan_gis._offline`; nothing is fetched unless the user chose a tile basemap):

``overview``
    Regions (central-area and northern cities styled apart), the demonstration zone, the G42
    corridor, metropolitan areas, rail and expressway networks by status, Yangtze crossings,
    airports and ports, each a toggle in a grouped layer control, with a legend.
``density``
    Rail and expressway density per city and per county on a diverging scale centred on the
    2025 target, for 2020, the latest year and 2025 as planned (one radio button each).
``demo_zone`` and ``g42_corridor``
    Close-ups of the demonstration zone and of the G42 corridor.

Geometry is simplified and rounded for display only (analysis always uses the stored layers).
With a GCJ-02 basemap (AMap/高德) the display copies are shifted to GCJ-02 and the map says so.
All data-derived text is HTML-escaped before it reaches a popup, tooltip or legend.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.colormap import LinearColormap
from branca.element import Element, MacroElement
from folium.plugins import GroupedLayerControl
from folium.template import Template
from folium.utilities import JsCode

from ._errors import EmptyLayerError, InputError, UnknownNameError
from ._io import atomic_path
from ._offline import make_offline
from .crs import wgs84_to_gcj02_geometry
from .density import network_density
from .layers import layer_names, load_layer
from .scenario import network_in_year
from .targets import density_target

__all__ = [
    "MAPS",
    "BASEMAPS",
    "overview_map",
    "density_map",
    "closeup_map",
    "write_maps",
    "map_filename",
]

log = logging.getLogger(__name__)

#: Map names, in the order of the index page.
MAPS = ("overview", "density", "demo_zone", "g42_corridor")
#: Named basemaps; anything else must be an ``http(s)://...{z}/{x}/{y}...`` tile template.
BASEMAPS = ("none", "osm", "gaode")
_TITLES = {
    "overview": ("江苏实施方案总览", "Overview of the Jiangsu implementation plan"),
    "density": ("路网密度与2025年目标", "Network density against the 2025 targets"),
    "demo_zone": ("长三角生态绿色一体化发展示范区", "Close-up: the demonstration zone"),
    "g42_corridor": ("沿沪宁产业创新带 (G42走廊)", "Close-up: the G42 corridor"),
}
_TILES = {
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "&copy; OpenStreetMap contributors",
        "wgs84",
        None,
    ),
    "gaode": (
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        "&copy; 高德地图 AutoNavi",
        "gcj02",
        "1234",
    ),
}
_STATUS = {  # status -> (zh, en, dash array, opacity)
    "operating": ("运营", "operating", None, 0.95),
    "under_construction": ("在建", "under construction", "8 5", 0.95),
    "planned": ("规划", "planned", "2 5", 0.9),
    "study": ("研究", "under study", "1 6", 0.6),
}
_NETWORKS = {
    "rail": ("铁路", "Rail", "#6a1b9a", 2.5),
    "expressway": ("高速公路", "Expressway", "#e65100", 2.0),
}
_GROUP_FILL = {"central": "#fde0c5", "north": "#cfe3f3"}
_GROUP_LABEL = {"central": ("苏中苏南 (中心区)", "central area"), "north": ("苏北", "north")}
_FONT = (
    '"WenQuanYi Zen Hei","Noto Sans CJK SC","Microsoft YaHei","PingFang SC","Helvetica Neue",Arial,sans-serif'
)
# display simplification (degrees) and rounding (decimals) per use
# ~1e-3 degree is ~100 m in Jiangsu; a screen pixel is ~150 m at zoom 10
_TOL = {"overview": 0.0025, "closeup": 0.0005, "choropleth": 0.004, "context": 0.01}
_DECIMALS = {"overview": 4, "closeup": 5, "choropleth": 3, "context": 3}
_JIANGSU_BOUNDS = [[30.7, 116.3], [35.2, 121.95]]

Field = tuple[str, str, str]  # (column, label_zh, label_en)
_SOURCE: Field = ("source", "来源", "Source")
_REGION_FIELDS: list[Field] = [
    ("code", "代码", "Code"),
    ("group_label", "分区", "Area"),
    ("area_official_km2", "官方面积 (km²)", "Official area (km²)"),
    ("area_polygon_km2", "多边形面积 (km²)", "Polygon area (km²)"),
    _SOURCE,
]
_NETWORK_FIELDS: list[Field] = [
    ("line_label", "线路", "Line"),
    ("status_label", "状态", "Status"),
    ("open_year", "开通年份", "Opening year"),
    ("class", "等级", "Class"),
    ("design_speed_kmh", "设计速度 (km/h)", "Design speed (km/h)"),
    ("lanes", "车道", "Lanes"),
    ("length_km", "长度 (km)", "Length (km)"),
    ("length_check_label", "与公布长度之差", "Vs published length"),
    ("estimated", "估算", "Estimated"),
    ("plan_project", "规划项目", "Plan project"),
    ("confidence", "可信度", "Confidence"),
    _SOURCE,
]
_POINT_FIELDS: list[Field] = [
    ("iata", "IATA", "IATA"),
    ("port", "港口", "Port"),
    ("type", "类型", "Type"),
    ("mode", "方式", "Mode"),
    ("status_label", "状态", "Status"),
    ("open_year", "开通年份", "Opening year"),
    ("plan_role", "规划要求", "Plan role"),
    ("confidence", "可信度", "Confidence"),
    _SOURCE,
]
_AREA_FIELDS: list[Field] = [
    ("scope", "范围", "Scope"),
    ("member_names", "成员", "Members"),
    ("buffer_km", "缓冲 (km)", "Buffer (km)"),
    ("area_km2", "面积 (km²)", "Area (km²)"),
    ("length_km", "长度 (km)", "Length (km)"),
    ("definition", "定义", "Definition"),
    ("definition_source", "依据", "Definition source"),
    ("confidence", "可信度", "Confidence"),
    _SOURCE,
]

_ON_EACH = JsCode(
    "function(feature, layer) {"
    " var p = feature.properties || {};"
    " if (p.popup) { layer.bindPopup(p.popup, {maxWidth: 380}); }"
    " if (p.tip) { layer.bindTooltip(p.tip, {sticky: true}); }"
    "}"
)
_CSS = f"""
<style>
body, .folium-map {{ font-family: {_FONT}; }}
.folium-map.leaflet-container {{ background: #e8eef3; }}
.leaflet-container {{ font-family: {_FONT}; }}
.jsplan-pop {{ font-size: 12px; line-height: 1.35; }}
.jsplan-pop .t {{ font-weight: bold; font-size: 13px; }}
.jsplan-pop table {{ border-collapse: collapse; margin-top: 4px; }}
.jsplan-pop th {{ text-align: left; font-weight: normal; color: #555; padding: 1px 6px 1px 0;
  vertical-align: top; white-space: nowrap; }}
.jsplan-pop td {{ padding: 1px 0; vertical-align: top; }}
.jsplan-box {{ background: rgba(255,255,255,.92); padding: 6px 9px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); font-size: 12px; line-height: 1.4; }}
.jsplan-title {{ position: absolute; top: 10px; left: 56px; z-index: 1000; max-width: 60%; }}
.jsplan-title b {{ font-size: 15px; }}
.jsplan-legend {{ max-height: 60vh; overflow-y: auto; }}
.jsplan-legend .row {{ display: flex; align-items: center; gap: 6px; white-space: nowrap; }}
.jsplan-legend h4 {{ margin: 4px 0 2px; font-size: 12px; }}
.jsplan-note {{ background: #fff6d5; }}
.leaflet-control-layers-group-name {{ font-weight: bold; }}
</style>
"""


# --------------------------------------------------------------------------- small helpers
def _esc(text: object) -> str:
    """HTML-escape one value (quotes included); ``None``/NaN become ``""``."""
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return ""
    return html.escape(str(text), quote=True)


def _has(name: str) -> bool:
    return name in layer_names()


def _fmt(values: pd.Series) -> pd.Series:
    """Values as display strings: numbers with separators, missing as ``""`` (vectorised)."""
    if pd.api.types.is_bool_dtype(values):
        return values.map({True: "yes", False: "no"}).fillna("")
    if pd.api.types.is_numeric_dtype(values):
        num = pd.to_numeric(values, errors="coerce").astype("float64")
        whole = np.isfinite(num) & (np.abs(num - np.round(num)) < 1e-9)
        out = pd.Series(
            np.where(
                whole,
                num.map(lambda v: f"{v:,.0f}" if np.isfinite(v) else ""),
                num.map(lambda v: f"{v:,.1f}" if np.isfinite(v) else ""),
            ),
            index=values.index,
        )
        # years and codes are not thousands-separated
        return out
    return values.astype("string").fillna("").str.strip()


def _with_labels(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add bilingual derived columns used in popups (``status_label``, ``line_label``, ...)."""
    out = gdf.copy()
    if "status" in out:
        lab = {k: f"{zh} {en}" for k, (zh, en, _, _) in _STATUS.items()}
        out["status_label"] = out["status"].map(lab).fillna(out["status"].astype("string"))
    if "line_zh" in out:
        out["line_label"] = (
            out["line_zh"].astype("string").fillna("")
            + " "
            + out.get("line_en", pd.Series("", index=out.index)).astype("string").fillna("")
        )
    if "group" in out:
        lab = {k: f"{zh} {en}" for k, (zh, en) in _GROUP_LABEL.items()}
        out["group_label"] = out["group"].map(lab).fillna("")
    if "length_check_diff_pct" in out:
        pct = pd.to_numeric(out["length_check_diff_pct"], errors="coerce")
        label = pct.map(lambda v: "" if pd.isna(v) else f"{v:+.1f} %")
        check = out.get("length_check", pd.Series("", index=out.index)).astype("string").fillna("")
        out["length_check_label"] = label.where(label == "", label + " (" + check + ")")
    if "open_year" in out:
        yr = pd.to_numeric(out["open_year"], errors="coerce")
        out["open_year"] = yr.map(lambda v: "" if pd.isna(v) else str(int(v)))
    return out


def popup_html(
    gdf: pd.DataFrame,
    fields: Sequence[Field],
    *,
    title: Sequence[str] = ("name_zh", "name_en"),
    extra: pd.Series | None = None,
) -> pd.Series:
    """Build an escaped bilingual popup per row (loops over fields, not features).

    Parameters
    ----------
    gdf : DataFrame
        Features with the columns named in ``fields`` and ``title`` (missing ones are skipped).
    fields : sequence of (column, label_zh, label_en)
        Rows of the attribute table; empty values are left out.
    title : sequence of str
        Columns joined (escaped) into the bold heading.
    extra : Series of str, optional
        Already-escaped HTML rows appended to the table (computed values).

    Returns
    -------
    Series of str
        HTML fragments; every data value is escaped with :func:`html.escape`.

    Examples
    --------
    >>> df = pd.DataFrame({"name_zh": ["<b>x</b>"], "name_en": ['a"b'], "source": ["`s`"]})
    >>> out = popup_html(df, [("source", "来源", "Source")]).iloc[0]
    >>> "&lt;b&gt;x&lt;/b&gt; a&quot;b" in out, "<b>" in out, "<td>`s`</td>" in out
    (True, False, True)
    """
    head = _title(gdf, title)
    rows = pd.Series("", index=gdf.index, dtype="object")
    for col, zh, en in fields:
        if col not in gdf.columns:
            continue
        vals = _fmt(gdf[col]).map(_esc)
        label = _esc(zh) if zh == en else f"{_esc(zh)} {_esc(en)}"
        row = f"<tr><th>{label}</th><td>" + vals + "</td></tr>"
        rows = rows + row.where(vals != "", "")
    if extra is not None:
        rows = rows + extra.reindex(gdf.index).fillna("")
    return '<div class="jsplan-pop"><div class="t">' + head + "</div><table>" + rows + "</table></div>"


def _title(gdf: pd.DataFrame, cols: Sequence[str]) -> pd.Series:
    parts = [_fmt(gdf[c]).map(_esc) for c in cols if c in gdf.columns]
    if not parts:
        return pd.Series("", index=gdf.index, dtype="object")
    out = parts[0]
    for p in parts[1:]:
        out = out + " " + p
    return out.str.strip()


def _display(gdf: gpd.GeoDataFrame, *, detail: str, gcj02: bool, coverage: bool = False) -> gpd.GeoDataFrame:
    """Return a display copy: simplified, coordinates rounded, optionally shifted to GCJ-02."""
    out = gdf.copy()
    geoms = out.geometry.to_numpy()
    tol = _TOL[detail]
    kinds = shapely.get_type_id(geoms)
    poly = np.isin(kinds, (3, 6))
    if poly.any():
        if coverage and poly.all():
            geoms = shapely.coverage_simplify(geoms, tol, simplify_boundary=True)
        else:
            geoms = np.where(poly, shapely.simplify(geoms, tol, preserve_topology=True), geoms)
    line = np.isin(kinds, (1, 5))
    if line.any():
        geoms = np.where(line, shapely.simplify(geoms, tol / 4, preserve_topology=False), geoms)
    if gcj02:
        geoms = np.asarray(wgs84_to_gcj02_geometry(geoms))
    decimals = _DECIMALS[detail]
    geoms = shapely.transform(geoms, lambda c: np.round(c, decimals))
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=gdf.crs))
    return out[~out.geometry.is_empty & out.geometry.notna()]


def _clip_polygons(gdf: gpd.GeoDataFrame, window: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    """Keep the polygons that meet ``window`` (xmin, ymin, xmax, ymax), whole.

    Lines and points are all kept (a close-up draws fine detail only where it looks).
    """
    geoms = gdf.geometry.to_numpy()
    poly = np.isin(shapely.get_type_id(geoms), (3, 6))
    if not poly.any():
        return gdf
    return gdf[~poly | shapely.intersects(geoms, shapely.box(*window))]


def _geojson_dict(gdf: gpd.GeoDataFrame, props: dict[str, pd.Series]) -> dict:
    """Return a FeatureCollection holding only the given display properties (and a short ``id``)."""
    frame = gpd.GeoDataFrame(
        {k: v.to_numpy() for k, v in props.items()}, geometry=gdf.geometry.to_numpy(), crs=gdf.crs
    )
    frame.index = pd.RangeIndex(len(frame))
    return json.loads(frame.to_json(drop_id=False, show_bbox=False, to_wgs84=False))


@dataclass
class _Ctx:
    """What every layer builder needs: the map, the display datum and the layer registry."""

    m: folium.Map
    gcj02: bool
    detail: str
    layers: dict  # key -> folium GeoJson
    groups: dict  # control group name -> list of FeatureGroup
    window: tuple[float, float, float, float] | None = None  # close-ups: polygons clipped to it


def _add_geojson(
    ctx: _Ctx,
    gdf: gpd.GeoDataFrame,
    key: str,
    parent,
    *,
    style: dict | Callable,
    popup: pd.Series,
    tip: pd.Series,
    pane: str,
    marker=None,
    coverage: bool = False,
    detail: str | None = None,
    props: dict | None = None,
) -> folium.GeoJson:
    if ctx.window is not None:
        gdf = _clip_polygons(gdf, ctx.window)
    disp = _display(gdf, detail=detail or ctx.detail, gcj02=ctx.gcj02, coverage=coverage)
    data = _geojson_dict(
        disp,
        {
            "popup": popup.loc[disp.index],
            "tip": tip.loc[disp.index],
            **{k: v.loc[disp.index] for k, v in (props or {}).items()},
        },
    )
    base = {"className": f"jsplan-{key}"}
    if marker is not None:  # point markers take their pane from their own options
        base["pane"] = pane
    if callable(style):

        def style_fn(feature, _s=style):
            return {**base, **_s(feature)}
    else:

        def style_fn(feature, _s=style):
            return {**base, **_s}

    gj = folium.GeoJson(
        data,
        name=key,
        style_function=style_fn,
        on_each_feature=_ON_EACH,
        marker=marker,
        control=False,
        pane=pane,
    )
    gj.add_to(parent)
    ctx.layers[key] = gj
    return gj


def _toggle(ctx: _Ctx, group: str, label_zh: str, label_en: str, *, show: bool = True) -> folium.FeatureGroup:
    fg = folium.FeatureGroup(name=_esc(f"{label_zh} {label_en}"), show=show, control=False)
    fg.add_to(ctx.m)
    ctx.groups.setdefault(group, []).append(fg)
    return fg


class _Registry(MacroElement):
    """Expose the map and its layers to scripts and tests as ``window.jsplanMap``/``jsplanLayers``."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        window.jsplanMap = {{ this._parent.get_name() }};
        window.jsplanLayers = { {%- for k, v in this.names.items() %}{{ k|tojson }}: {{ v }},{% endfor %} };
        {% endmacro %}
    """)

    def __init__(self, layers: dict):
        super().__init__()
        self._name = "JsplanRegistry"
        self.names = {k: v.get_name() for k, v in layers.items()}


class _Control(MacroElement):
    """A Leaflet control holding a fixed HTML fragment (legend, note), built in Python."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var c = L.control({position: {{ this.position|tojson }}});
            c.onAdd = function() {
                var d = L.DomUtil.create('div', {{ this.css_class|tojson }});
                d.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(d);
                L.DomEvent.disableScrollPropagation(d);
                return d;
            };
            c.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, fragment: str, *, position: str = "bottomleft", css_class: str = "jsplan-box"):
        super().__init__()
        self._name = "JsplanControl"
        self.html = fragment
        self.position = position
        self.css_class = css_class


# --------------------------------------------------------------------------- basemap
@dataclass(frozen=True)
class _Basemap:
    url: str | None
    attribution: str
    gcj02: bool
    subdomains: str | None


def _resolve_basemap(basemap: str, attribution: str | None, datum: str) -> _Basemap:
    if basemap == "none":
        return _Basemap(None, "", False, None)
    if basemap in _TILES:
        url, attr, d, sub = _TILES[basemap]
        return _Basemap(url, attribution or attr, d == "gcj02", sub)
    if datum not in ("wgs84", "gcj02"):
        raise InputError(f"unknown basemap datum {datum!r}; use 'wgs84' or 'gcj02'")
    if re.match(r"^https?://", basemap or "") and all(t in basemap for t in ("{z}", "{x}", "{y}")):
        sub = "abc" if "{s}" in basemap else None
        return _Basemap(basemap, attribution or "tiles: user-supplied", datum == "gcj02", sub)
    raise InputError(
        f"unknown basemap {basemap!r}; use one of {', '.join(BASEMAPS)} or a tile URL template "
        "such as 'https://tiles.example/{z}/{x}/{y}.png' (http(s), with {z}, {x} and {y})"
    )


def _base_map(
    name: str, basemap: str, attribution: str | None, datum: str, bounds: list | None = None
) -> tuple[folium.Map, _Basemap]:
    bm = _resolve_basemap(basemap, attribution, datum)
    (s, w), (n, e) = bounds or _JIANGSU_BOUNDS
    # start near the final view: fitBounds then needs no (asynchronous) zoom animation
    span = max(e - w, (n - s) * 1.2, 1e-3)
    zoom = int(np.clip(np.floor(np.log2(360 / span * 3)), 3, 16))
    m = folium.Map(
        location=[(s + n) / 2, (w + e) / 2],
        zoom_start=zoom,
        tiles=None,
        control_scale=True,
        zoom_snap=0.25,
        prefer_canvas=False,
    )
    make_offline(m, allowed_tiles=[bm.url] if bm.url else [])
    m.get_root().header.add_child(Element(_CSS), name="jsplan_css")
    m.get_root().title = f"{_TITLES[name][0]} | {_TITLES[name][1]}"
    if bm.url:
        kw = {"subdomains": bm.subdomains} if bm.subdomains else {}
        folium.TileLayer(
            bm.url, attr=bm.attribution, name="basemap", control=False, max_zoom=18, **kw
        ).add_to(m)
    for pane, z in (
        ("jsplan_base", 350),
        ("jsplan_areas", 400),
        ("jsplan_lines", 450),
        ("jsplan_points", 620),
    ):
        folium.map.CustomPane(pane, z_index=z).add_to(m)
    zh, en = _TITLES[name]
    title = f"<b>{_esc(zh)}</b><br>{_esc(en)}"
    if bm.gcj02:
        title += (
            '<div class="jsplan-note">显示用坐标已偏移至GCJ-02以匹配底图; 分析数据仍为WGS84。<br>'
            "Display copies shifted to GCJ-02 to match the basemap; analysis stays in WGS84.</div>"
        )
    m.get_root().html.add_child(Element(f'<div class="jsplan-box jsplan-title">{title}</div>'))
    m.fit_bounds(bounds or _JIANGSU_BOUNDS)
    return m, bm


def _ctx(m: folium.Map, bm: _Basemap, detail: str) -> _Ctx:
    return _Ctx(m=m, gcj02=bm.gcj02, detail=detail, layers={}, groups={})


def _finish(
    ctx: _Ctx, legend: str | None, *, exclusive: Sequence[str] = (), collapsed: bool = False
) -> folium.Map:
    if ctx.groups:
        ctl = GroupedLayerControl(
            {_esc(g): fgs for g, fgs in ctx.groups.items()}, exclusive_groups=False, collapsed=collapsed
        )
        ctl.options["exclusiveGroups"] = [_esc(g) for g in exclusive]
        for g in exclusive:
            for fg in ctx.groups[g][1:]:
                ctl.layers_untoggle.add(fg.get_name())
        ctl.add_to(ctx.m)
    if legend:
        _Control(legend, position="bottomleft", css_class="jsplan-box jsplan-legend").add_to(ctx.m)
    _Registry(ctx.layers).add_to(ctx.m)
    return ctx.m


# --------------------------------------------------------------------------- layer builders
def _background(ctx: _Ctx, *, context_cities: bool) -> None:
    """Land, neighbouring provinces/cities and the province outline: readable without tiles."""
    land = load_layer("land")
    fg = folium.FeatureGroup(name="land", control=False).add_to(ctx.m)
    none = pd.Series("", index=land.index)
    _add_geojson(
        ctx,
        land,
        "land",
        fg,
        style={"fillColor": "#fbfaf6", "fillOpacity": 1, "weight": 0, "interactive": False},
        popup=none,
        tip=none,
        pane="jsplan_base",
        detail="context",
    )
    ctxp = load_layer("context_provinces")
    fg = _toggle(ctx, "底图 Background", "周边省市", "Neighbouring provinces")
    _add_geojson(
        ctx,
        ctxp,
        "context_provinces",
        fg,
        style={"color": "#8a8a8a", "weight": 1.2, "fill": True, "fillColor": "#f4f2ec", "fillOpacity": 1},
        popup=popup_html(ctxp, [("code", "代码", "Code"), _SOURCE]),
        tip=_title(ctxp, ("name_zh", "name_en")),
        pane="jsplan_base",
        detail="context",
        coverage=True,
    )
    if context_cities:
        cc = load_layer("context_cities")
        fg = _toggle(ctx, "底图 Background", "周边城市", "Neighbouring cities", show=False)
        _add_geojson(
            ctx,
            cc,
            "context_cities",
            fg,
            style={"color": "#a0a0a0", "weight": 0.6, "fillOpacity": 0},
            popup=popup_html(cc, [("code", "代码", "Code"), _SOURCE]),
            tip=_title(cc, ("name_zh", "name_en")),
            pane="jsplan_base",
            detail="context",
            coverage=True,
        )
    prov = load_layer("province")
    fg = folium.FeatureGroup(name="province", control=False).add_to(ctx.m)
    none = pd.Series("", index=prov.index)
    _add_geojson(
        ctx,
        prov,
        "province",
        fg,
        style={"color": "#333333", "weight": 2.2, "fillOpacity": 0, "interactive": False},
        popup=none,
        tip=none,
        pane="jsplan_lines",
    )


def _regions(ctx: _Ctx, *, cities_show: bool = True, counties_show: bool = False) -> None:
    grp = "行政区 Regions"
    cities = _with_labels(load_layer("cities"))
    fg = _toggle(ctx, grp, "设区市 (苏中苏南/苏北)", "Cities (central / north)", show=cities_show)
    _add_geojson(
        ctx,
        cities,
        "cities",
        fg,
        style=lambda f: {
            "color": "#777777",
            "weight": 1,
            "fillOpacity": 0.75,
            "fillColor": _GROUP_FILL.get(f["properties"]["grp"], "#eeeeee"),
        },
        popup=popup_html(cities, _REGION_FIELDS),
        tip=_title(cities, ("name_zh", "name_en")),
        pane="jsplan_areas",
        coverage=True,
        props={"grp": cities["group"].astype("string").fillna("")},
    )
    counties = _with_labels(load_layer("counties"))
    fg = _toggle(ctx, grp, "县级行政区", "Counties", show=counties_show)
    _add_geojson(
        ctx,
        counties,
        "counties",
        fg,
        style={"color": "#9e9e9e", "weight": 0.6, "fillOpacity": 0},
        popup=popup_html(counties, _REGION_FIELDS),
        tip=_title(counties, ("name_zh", "name_en")),
        pane="jsplan_areas",
        coverage=True,
    )


def _plan_areas(ctx: _Ctx, *, metro_show: bool = False) -> None:
    grp = "规划区域 Plan areas"
    demo = _with_labels(load_layer("demo_zone"))
    fg = _toggle(ctx, grp, "一体化示范区", "Demonstration zone")
    union = demo["group"].astype("string").fillna("") != "demo_zone_member"
    _add_geojson(
        ctx,
        demo,
        "demo_zone",
        fg,
        style=lambda f: (
            {"color": "#1b5e20", "weight": 3, "fillColor": "#66bb6a", "fillOpacity": 0.35}
            if f["properties"]["u"]
            else {"color": "#2e7d32", "weight": 1, "dashArray": "4 3", "fillOpacity": 0}
        ),
        popup=popup_html(demo, _REGION_FIELDS),
        tip=_title(demo, ("name_zh", "name_en")),
        pane="jsplan_areas",
        props={"u": union},
    )
    if _has("g42_corridor"):
        _g42(ctx, grp)
    if _has("metro_areas"):
        metro = load_layer("metro_areas")
        fg = _toggle(ctx, grp, "都市圈", "Metropolitan areas", show=metro_show)
        palette = ["#00838f", "#ad1457", "#5d4037", "#283593", "#827717"]
        ids = metro.get("area_id", metro.get("id")).astype("string").fillna("")
        colour = dict(zip(pd.unique(ids), palette * 4, strict=False))
        _add_geojson(
            ctx,
            metro,
            "metro_areas",
            fg,
            style=lambda f: {
                "color": f["properties"]["c"],
                "weight": 2,
                "dashArray": "6 4",
                "fillColor": f["properties"]["c"],
                "fillOpacity": 0.06,
            },
            popup=popup_html(metro, _AREA_FIELDS),
            tip=_title(metro, ("name_zh", "name_en", "scope")),
            pane="jsplan_areas",
            props={"c": ids.map(colour)},
        )


def _g42(ctx: _Ctx, grp: str) -> None:
    corr = load_layer("g42_corridor")
    parts = [corr]
    if _has("g42_alignment"):
        parts.append(load_layer("g42_alignment"))
    both = pd.concat(parts, ignore_index=True)
    is_line = both.geom_type.str.contains("Line").to_numpy()
    fg = _toggle(ctx, grp, "G42走廊", "G42 corridor")
    poly, line = both[~is_line], both[is_line]
    if len(poly):
        _add_geojson(
            ctx,
            poly,
            "g42_corridor",
            fg,
            style={"color": "#c62828", "weight": 1.5, "fillColor": "#ef9a9a", "fillOpacity": 0.2},
            popup=popup_html(poly, _AREA_FIELDS),
            tip=_title(poly, ("name_zh", "name_en")),
            pane="jsplan_areas",
        )
    if len(line):
        _add_geojson(
            ctx,
            line,
            "g42_alignment",
            fg,
            style={"color": "#b71c1c", "weight": 4, "opacity": 0.8},
            popup=popup_html(line, _AREA_FIELDS),
            tip=_title(line, ("name_zh", "name_en")),
            pane="jsplan_lines",
        )


def _networks(ctx: _Ctx) -> None:
    for net, (zh, en, colour, weight) in _NETWORKS.items():
        if not _has(net):
            continue
        gdf = _with_labels(load_layer(net))
        status = gdf["status"].fillna("operating").astype("string")
        for st, (szh, sen, dash, opacity) in _STATUS.items():
            sub = gdf[(status == st).to_numpy()]
            if sub.empty:
                continue
            fg = _toggle(ctx, f"{zh}网 {en} network", szh, sen, show=st != "study")
            style = {
                "color": colour,
                "weight": weight if st == "operating" else weight + 0.5,
                "opacity": opacity,
            }
            if dash:
                style["dashArray"] = dash
            _add_geojson(
                ctx,
                sub,
                f"{net}_{st}",
                fg,
                style=style,
                popup=popup_html(sub, _NETWORK_FIELDS),
                tip=_title(sub, ("name_zh", "name_en")) + " · " + sub["status_label"].map(_esc),
                pane="jsplan_lines",
            )


def _points(ctx: _Ctx) -> None:
    grp = "节点 Nodes"
    if _has("crossings"):
        fg = _toggle(ctx, grp, "长江过江通道", "Yangtze crossings")
        if _has("crossing_lines"):
            cl = _with_labels(load_layer("crossing_lines"))
            _add_geojson(
                ctx,
                cl,
                "crossing_lines",
                fg,
                style={"color": "#0277bd", "weight": 4, "opacity": 0.7},
                popup=popup_html(cl, _POINT_FIELDS),
                tip=_title(cl, ("name_zh", "name_en")),
                pane="jsplan_lines",
            )
        cr = _with_labels(load_layer("crossings"))
        _add_geojson(
            ctx,
            cr,
            "crossings",
            fg,
            style=lambda f: {
                "color": "#01579b",
                "fillColor": "#4fc3f7" if f["properties"]["op"] else "#ffffff",
                "fill": True,
                "fillOpacity": 1,
                "weight": 1.5,
            },
            popup=popup_html(cr, _POINT_FIELDS),
            tip=_title(cr, ("name_zh", "name_en")),
            pane="jsplan_points",
            marker=folium.CircleMarker(radius=4, fill=True),
            props={"op": (cr["status"] == "operating")},
        )
    for key, zh, en, colour, radius in (
        ("airports", "机场", "Airports", "#283593", 7),
        ("ports", "港口", "Ports", "#00695c", 5),
    ):
        if not _has(key):
            continue
        pts = _with_labels(load_layer(key))
        fg = _toggle(ctx, grp, zh, en)
        _add_geojson(
            ctx,
            pts,
            key,
            fg,
            style={"color": "#ffffff", "weight": 1.5, "fill": True, "fillColor": colour, "fillOpacity": 0.95},
            popup=popup_html(pts, _POINT_FIELDS),
            tip=_title(pts, ("name_zh", "name_en")),
            pane="jsplan_points",
            marker=folium.CircleMarker(radius=radius, fill=True),
        )


def _swatch_line(colour: str, dash: str | None, weight: float = 3, opacity: float = 1) -> str:
    d = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<svg width="34" height="10"><line x1="1" y1="5" x2="33" y2="5" stroke="{colour}" '
        f'stroke-width="{weight}" stroke-opacity="{opacity}"{d}/></svg>'
    )


def _swatch_box(fill: str, stroke: str, opacity: float = 1, dash: str | None = None) -> str:
    d = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<svg width="34" height="14"><rect x="1" y="1" width="32" height="12" fill="{fill}" '
        f'fill-opacity="{opacity}" stroke="{stroke}"{d}/></svg>'
    )


def _swatch_dot(fill: str, stroke: str, r: int) -> str:
    return (
        f'<svg width="34" height="16"><circle cx="17" cy="8" r="{r}" fill="{fill}" stroke="{stroke}"/></svg>'
    )


def _legend_overview(ctx: _Ctx) -> str:
    rows = ["<h4>图例 Legend</h4>"]

    def row(sw: str, zh: str, en: str) -> None:
        rows.append(f'<div class="row">{sw}<span>{_esc(zh)} {_esc(en)}</span></div>')

    for g, (zh, en) in _GROUP_LABEL.items():
        row(_swatch_box(_GROUP_FILL[g], "#777"), f"设区市 {zh}", f"cities, {en}")
    row(_swatch_box("#66bb6a", "#1b5e20", 0.4), "一体化示范区", "demonstration zone")
    if "g42_corridor" in ctx.layers:
        row(_swatch_box("#ef9a9a", "#c62828", 0.5), "G42走廊", "G42 corridor")
    if "metro_areas" in ctx.layers:
        row(_swatch_box("#ffffff", "#00838f", 0.2, "6 4"), "都市圈", "metropolitan areas")
    for net, (zh, en, colour, weight) in _NETWORKS.items():
        for st, (szh, sen, dash, opacity) in _STATUS.items():
            if f"{net}_{st}" in ctx.layers:
                row(_swatch_line(colour, dash, weight + 0.5, opacity), f"{zh} {szh}", f"{en.lower()}, {sen}")
    if "crossings" in ctx.layers:
        row(_swatch_dot("#4fc3f7", "#01579b", 4), "过江通道 (已通/未通)", "Yangtze crossing (open / not yet)")
    if "airports" in ctx.layers:
        row(_swatch_dot("#283593", "#fff", 6), "机场", "airport")
    if "ports" in ctx.layers:
        row(_swatch_dot("#00695c", "#fff", 5), "港口", "port")
    return "".join(rows)


# --------------------------------------------------------------------------- public maps
def overview_map(
    *,
    basemap: str = "none",
    attribution: str | None = None,
    basemap_datum: Literal["wgs84", "gcj02"] = "wgs84",
) -> folium.Map:
    """Overview of the plan: regions, plan areas, networks by status and nodes, with a legend.

    Parameters
    ----------
    basemap : str
        ``"none"`` (default; land and neighbouring provinces are drawn instead), ``"osm"``,
        ``"gaode"`` (AMap tiles in GCJ-02: display copies are shifted and the map says so) or an
        ``http(s)://...{z}/{x}/{y}...`` tile template (an intranet server, 天地图 with a key).
    attribution : str, optional
        Attribution shown for the tiles (HTML, your own text).
    basemap_datum : {"wgs84", "gcj02"}
        Datum of a user-supplied tile template.

    Returns
    -------
    folium.Map
        Self-contained when saved or shown in a notebook (no remote asset but the chosen tiles).

    Raises
    ------
    InputError
        Unknown basemap or datum.

    Examples
    --------
    >>> m = overview_map()
    >>> html = m.get_root().render()
    >>> "cdn." in html, "jsplanLayers" in html
    (False, True)
    """
    m, bm = _base_map("overview", basemap, attribution, basemap_datum)
    ctx = _ctx(m, bm, "overview")
    _background(ctx, context_cities=True)
    _regions(ctx)
    _plan_areas(ctx)
    _networks(ctx)
    _points(ctx)
    return _finish(ctx, _legend_overview(ctx))


def _latest_year(net: gpd.GeoDataFrame, today: int) -> int | None:
    years = pd.to_numeric(net.get("open_year"), errors="coerce")
    status = net.get("status", pd.Series("operating", index=net.index)).fillna("operating")
    built = years[(status == "operating") & (years <= today)]
    return int(built.max()) if len(built) else None


def _cases(net: gpd.GeoDataFrame, year: int | None, today: int) -> list[tuple[str, str, int]]:
    """(label_zh, label_en, year) per case: the given year, or 2020 / latest / 2025 as planned."""
    if year is not None:
        return [(f"{year}年", f"{year}", int(year))]
    cases = [("2020年", "2020", 2020)]
    latest = _latest_year(net, today)
    if latest is not None and latest not in (2020, 2025):
        cases.append((f"最新 ({latest}年)", f"latest ({latest})", latest))
    if latest == 2025:
        cases.append(("2025年 (最新/按规划)", "2025 latest and as planned", 2025))
    else:
        cases.append(("2025年 (按规划)", "2025 as planned", 2025))
    return cases


def diverging_colormap(target_value: float, unit: str, label_zh: str, label_en: str) -> LinearColormap:
    """Return a red-white-blue scale from 0 to twice the target, white exactly at the target.

    Examples
    --------
    >>> cm = diverging_colormap(550, "km per 10000 km2", "铁路", "Rail")
    >>> cm(550), float(cm.vmin), float(cm.vmax)
    ('#f7f7f7ff', 0.0, 1100.0)
    """
    t = float(target_value)
    colours = ["#b2182b", "#ef8a62", "#fddbc7", "#f7f7f7", "#d1e5f0", "#67a9cf", "#2166ac"]
    index = [0, t / 3, 2 * t / 3, t, 4 * t / 3, 5 * t / 3, 2 * t]
    caption = (
        f"{label_zh} {label_en} · {unit.replace(' per ', '/').replace('km2', 'km²')} · 目标 target {t:g}"
    )
    cmap = LinearColormap(
        colours, index=index, vmin=0, vmax=2 * t, caption=caption, tick_labels=[0, t / 2, t, 1.5 * t, 2 * t]
    )
    cmap.width = 420
    return cmap


def _density_layer(
    ctx: _Ctx, res: gpd.GeoDataFrame, key: str, parent, cmap: LinearColormap, unit: str, case_label: str
) -> None:
    value = res["density_value"].astype("float64")
    colour = value.clip(cmap.vmin, cmap.vmax).map(lambda v: cmap(v)[:7] if np.isfinite(v) else "#cccccc")
    extra = (
        f"<tr><th>{_esc('密度')} Density</th><td>"
        + _fmt(value).map(_esc)
        + f" {_esc(unit)}</td></tr>"
        + f"<tr><th>{_esc('目标')} Target</th><td>"
        + _fmt(res["target_value"]).map(_esc)
        + f" {_esc(unit)}</td></tr>"
        + "<tr><th>达标率 Attainment</th><td>"
        + (res["attainment_ratio"] * 100).round(0).map(lambda v: "" if pd.isna(v) else f"{v:.0f} %")
        + "</td></tr>"
        + "<tr><th>差距 Gap (km)</th><td>"
        + _fmt(res["gap_km"]).map(_esc)
        + "</td></tr>"
        + "<tr><th>长度 Length (km)</th><td>"
        + _fmt(res["length_km"]).map(_esc)
        + "</td></tr>"
        + "<tr><th>面积 Area (km²)</th><td>"
        + _fmt(res["area_km2"]).map(_esc)
        + " ("
        + res["area_basis"].astype("string").fillna("").map(_esc)
        + ")</td></tr>"
        + f"<tr><th>情景 Case</th><td>{_esc(case_label)}</td></tr>"
    )
    popup = popup_html(res, [("code", "代码", "Code")], extra=extra)
    tip = _title(res, ("name_zh", "name_en")) + ": " + _fmt(value).map(_esc) + f" {_esc(unit)}"
    _add_geojson(
        ctx,
        res,
        key,
        parent,
        style=lambda f: {
            "color": "#555555",
            "weight": 0.7,
            "fillColor": f["properties"]["c"],
            "fillOpacity": 0.85,
        },
        popup=popup,
        tip=tip,
        pane="jsplan_areas",
        coverage=True,
        props={"c": colour},
        detail="choropleth",
    )


def density_map(
    *,
    year: int | None = None,
    basemap: str = "none",
    attribution: str | None = None,
    basemap_datum: Literal["wgs84", "gcj02"] = "wgs84",
    today: int | None = None,
) -> folium.Map:
    """Rail and expressway density per city and county against the 2025 targets.

    One radio button per network x regions x year; colours on a diverging scale centred on the
    target (white), with a legend per network giving its unit.

    Parameters
    ----------
    year : int, optional
        Show only the network open in or before this year. Default: 2020, the latest year with
        an opening up to ``today`` and 2025 as planned.
    basemap, attribution, basemap_datum
        As in :func:`overview_map`.
    today : int, optional
        The current year (default: this year), which bounds "latest".

    Returns
    -------
    folium.Map
    """
    today = today or _dt.date.today().year
    m, bm = _base_map("density", basemap, attribution, basemap_datum)
    ctx = _ctx(m, bm, "overview")
    _background(ctx, context_cities=False)
    group = "密度 Density"
    for net, (zh, en, _c, _w) in _NETWORKS.items():
        if not _has(net):
            continue
        network = load_layer(net)
        target = density_target(net)
        cmap = diverging_colormap(target.value, target.unit, f"{zh}网密度", en)
        cmap.add_to(m)
        for reg, rzh, ren in (("cities", "设区市", "cities"), ("counties", "县级", "counties")):
            regions = load_layer(reg)
            for czh, cen, yr in _cases(network, year, today):
                try:
                    sub = network_in_year(network, yr)
                except EmptyLayerError:
                    log.warning("no %s feature open in %s; case skipped", net, yr)
                    continue
                res = network_density(sub, regions, target=target)
                res = res[res["level"] != "aggregate"].rename(
                    columns={
                        f"density_{target.column_suffix}": "density_value",
                        f"target_{target.column_suffix}": "target_value",
                    }
                )
                fg = _toggle(
                    ctx,
                    group,
                    f"{zh} · {rzh} · {czh}",
                    f"{en} · {ren} · {cen}",
                    show=not ctx.groups.get(group),
                )
                _density_layer(
                    ctx,
                    res,
                    f"density_{net}_{reg}_{cen.split(' ')[0]}",
                    fg,
                    cmap,
                    target.unit,
                    f"{czh} {cen}",
                )
    outline = load_layer("cities")
    fg = folium.FeatureGroup(name="city outlines", control=False).add_to(m)
    none = pd.Series("", index=outline.index)
    _add_geojson(
        ctx,
        outline,
        "city_outlines",
        fg,
        style={"color": "#222222", "weight": 1.6, "fillOpacity": 0, "interactive": False},
        popup=none,
        tip=none,
        pane="jsplan_lines",
        coverage=True,
    )
    note = (
        "<h4>路网密度 Network density</h4>"
        "<div>选择右上角的一个图层 Pick one layer at the top right.</div>"
        "<div>红: 低于目标; 白: 达到目标; 蓝: 高于目标<br>"
        "red: below target; white: on target; blue: above</div>"
        "<div>长度为测地线长度; 面积为官方土地面积 (无则用陆地面积)<br>"
        "geodesic lengths; official land area (else land area)</div>"
    )
    return _finish(ctx, note, exclusive=[group])


def _bounds(gdf: gpd.GeoDataFrame, pad: float) -> list[list[float]]:
    x0, y0, x1, y1 = gdf.total_bounds
    dx, dy = (x1 - x0) * pad, (y1 - y0) * pad
    return [[y0 - dy, x0 - dx], [y1 + dy, x1 + dx]]


def closeup_map(
    which: Literal["demo_zone", "g42_corridor"],
    *,
    basemap: str = "none",
    attribution: str | None = None,
    basemap_datum: Literal["wgs84", "gcj02"] = "wgs84",
) -> folium.Map:
    """Close-up of the demonstration zone or of the G42 corridor, at finer display detail.

    Parameters
    ----------
    which : {"demo_zone", "g42_corridor"}
        The area to zoom on.
    basemap, attribution, basemap_datum
        As in :func:`overview_map`.

    Returns
    -------
    folium.Map

    Raises
    ------
    UnknownNameError
        Unknown ``which``, or its layer is not shipped (yet).
    """
    if which not in ("demo_zone", "g42_corridor"):
        raise UnknownNameError(f"unknown close-up {which!r}; use 'demo_zone' or 'g42_corridor'")
    if not _has(which):
        raise UnknownNameError(
            f"the {which!r} layer is not shipped; available layers: {', '.join(layer_names())}"
        )
    area = load_layer(which)
    m, bm = _base_map(which, basemap, attribution, basemap_datum, bounds=_bounds(area, 0.15))
    ctx = _ctx(m, bm, "closeup")
    (y0, x0), (y1, x1) = _bounds(area, 0.6)
    ctx.window = (x0, y0, x1, y1)
    _background(ctx, context_cities=True)
    _regions(ctx, cities_show=which == "g42_corridor", counties_show=True)
    _plan_areas(ctx)
    _networks(ctx)
    _points(ctx)
    return _finish(ctx, _legend_overview(ctx), collapsed=True)


# --------------------------------------------------------------------------- writing
def map_filename(name: str) -> str:
    """File name of a map in the output folder (``overview.html``, ``closeup_demo_zone.html``...)."""
    return f"{name}.html" if name in ("overview", "density") else f"closeup_{name}.html"


def _build(name: str, *, year: int | None, basemap: str, attribution: str | None, datum: str) -> folium.Map:
    kw = {"basemap": basemap, "attribution": attribution, "basemap_datum": datum}
    if name == "overview":
        return overview_map(**kw)
    if name == "density":
        return density_map(year=year, **kw)
    return closeup_map(name, **kw)


def _index_html(entries: list[tuple[str, Path]], basemap: str) -> str:
    items = "".join(
        f'<li><a href="{_esc(p.name)}">{_esc(_TITLES[n][0])} — {_esc(_TITLES[n][1])}</a> '
        f"<small>({p.stat().st_size / 1e6:.1f} MB)</small></li>"
        for n, p in entries
    )
    bm = "无底图 (离线)" if basemap == "none" else f"底图 basemap: {basemap}"
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        "<title>jsplan_gis 地图 Maps</title>"
        f"<style>body{{font-family:{_FONT};margin:2em;max-width:48em}}li{{margin:.4em 0}}</style>"
        "</head><body>"
        "<h1>江苏实施方案地图 <small>Maps of the Jiangsu implementation plan</small></h1>"
        f"<ul>{items}</ul>"
        f"<p>{_esc(bm)}. 每张地图为独立HTML文件, 无需联网即可打开。Each map is one self-contained HTML file "
        "that opens without network access.</p>"
        f"<p><small>jsplan_gis, {_dt.date.today().isoformat()}</small></p></body></html>\n"
    )


def write_maps(
    out_dir: str | Path,
    *,
    maps: Sequence[str] | None = None,
    year: int | None = None,
    basemap: str = "none",
    attribution: str | None = None,
    basemap_datum: Literal["wgs84", "gcj02"] = "wgs84",
) -> list[Path]:
    """Write the maps and ``index.html`` into ``out_dir``, each file atomically.

    Parameters
    ----------
    out_dir : path-like
        Output folder (created if needed).
    maps : sequence of str, optional
        Names from :data:`MAPS`; default all (a close-up whose layer is not shipped is skipped
        with a warning, but asking for it by name raises).
    year : int, optional
        Year of the density map (default: 2020, latest and 2025 as planned).
    basemap, attribution, basemap_datum
        As in :func:`overview_map`.

    Returns
    -------
    list of Path
        The files written, ``index.html`` last.

    Raises
    ------
    UnknownNameError
        Unknown map name.
    InputError
        Bad basemap.
    """
    out_dir = Path(out_dir)
    _resolve_basemap(basemap, attribution, basemap_datum)  # fail before any work
    names = list(MAPS) if maps is None else list(maps)
    unknown = [n for n in names if n not in MAPS]
    if unknown:
        raise UnknownNameError(
            f"unknown map {', '.join(map(repr, unknown))}; available maps: {', '.join(MAPS)}"
        )
    if maps is None:
        missing = [n for n in ("demo_zone", "g42_corridor") if not _has(n)]
        for n in missing:
            log.warning("layer %r is not shipped; its close-up map is skipped", n)
        names = [n for n in names if n not in missing]
    written = []
    for name in names:
        m = _build(name, year=year, basemap=basemap, attribution=attribution, datum=basemap_datum)
        page = m.get_root().render()
        path = out_dir / map_filename(name)
        with atomic_path(path) as tmp:
            tmp.write_text(page, encoding="utf-8")
        log.info("wrote %s (%.2f MB)", path, path.stat().st_size / 1e6)
        written.append(path)
    present = [(n, out_dir / map_filename(n)) for n in MAPS if (out_dir / map_filename(n)).is_file()]
    index = out_dir / "index.html"
    with atomic_path(index) as tmp:
        tmp.write_text(_index_html(present, basemap), encoding="utf-8")
    written.append(index)
    return written
