"""Fast kernel: geodesic length of line networks inside each region, in km.

This is the engine behind per-region network densities. It returns the same numbers as::

    pieces = geopandas.overlay(lines, regions, how="intersection", keep_geom_type=True)
    km = measure.geodesic_length_km(pieces.geometry)   # then summed per region

without clipping whole lines against whole polygons (county boundaries have thousands of
vertices and GEOS walks all of them in every ``intersection`` call; overlay makes one such call
per line/county pair). Instead, with no per-feature Python loop:

1. Lines are cut into straight segments (vertex to vertex), regions into boundary edges (every
   ring, holes included), edges into chunks of ``_CHUNK`` consecutive edges.
2. A uniform grid joins segment envelopes with chunk envelopes in numpy (a summed-area table
   first drops every segment nowhere near a boundary), giving candidate segment/edge pairs.
3. A floating-point test with a rigorous error bound settles nearly every candidate pair: a
   proper crossing (with its crossing point) or certainly disjoint. The few it cannot call
   (touching, collinear, through a boundary vertex) are settled exactly: shared end points in
   numpy (a line built from the boundary's own vertices), the rest by GEOS
   (``shapely.intersection`` of the two 2-point lines).
4. Membership of each line part in each region is tested once, at the part's first vertex
   (point-in-polygon with prepared polygons, one STRtree query for all), and flips at every
   proper crossing of that region's boundary: the part is cut into alternating inside and
   outside pieces, measured as partial first and last segments plus a prefix sum of whole
   segment lengths in between.
5. A segment that touches or runs along a region's boundary is cut at every contact point;
   a sub-piece is inside if it runs along an edge (closed set) or if its test point is in the
   region (an input vertex off the boundary if it ends at one, else its midpoint); the
   membership after such a segment is tested afresh.
6. Geodesic lengths (pyproj, the call :func:`~jsplan_gis.measure.geodesic_length_km` makes)
   are computed only for the segments of parts that reach some region.

Pieces are cut exactly where GEOS's overlay nodes a line (at every crossing and contact with
that region's boundary), so each piece's length is the same sum of vertex-to-vertex geodesics
that ``geodesic_length_km`` takes of an overlay piece. ``benchmarks/bench_density.py``
measures the speed-up (5-15x on Jiangsu's 95 counties, ``benchmarks/RESULTS.md``).

Semantics
---------
* Closed-set intersection, as ``overlay``: a line lying exactly on a boundary shared by two
  regions counts in full for *both* regions; a line touching a region at a single point adds
  0 km to it.
* Overlapping regions are independent: each gets the full length of the lines inside it.
* Clipping is done in the longitude/latitude plane (a segment is straight in degrees), as
  ``overlay`` on EPSG:4326 data does; lengths are geodesic on the WGS84 ellipsoid.
* Missing, empty and zero-length lines contribute 0; missing or empty regions get 0.
* Two differences from ``overlay``, both only for lines that cross or retrace themselves:
  GEOS also nodes a line where it crosses itself, which changes the geodesic length of the
  two segments involved by < 1e-7 relative; and GEOS dissolves a part that retraces itself
  (A-B-A) into one copy, whereas the kernel counts every segment of every line.
* Near-degenerate input: where a line runs within rounding distance (~1e-13 degrees) of a
  boundary edge without exactly sharing it (e.g. points that are collinear in decimal but not
  in binary), GEOS's own answer depends on how its noding rounds. The kernel follows it in
  the cases that matter in practice (a line through boundary vertices along an edge becomes
  that edge, see ``_SNAP``) but may differ by such a piece's length elsewhere.
* Cutting a segment at a boundary replaces its geodesic by two geodesics through a point of
  the straight lon/lat segment, which is slightly longer (~1e-9 relative for 3 km segments,
  growing with the square of the segment length). So over regions that tile the plane the
  lengths add up to :func:`~jsplan_gis.measure.geodesic_length_km` of the lines to ~1e-8,
  not exactly; ``overlay`` behaves the same way.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from .measure import geodesic_distance_km

__all__ = ["length_by_region", "pieces_by_region"]

# Orientation filter (coordinates in degrees). Differences of coordinates of nearby points
# are exact (Sterbenz lemma) and products carry <= 2**-53 relative error, so the sign of a
# determinant is certain once it exceeds ~3e-16 * scale**2. The bounds are ~300x wider, plus
# an absolute term for coordinate differences that are not exact (e.g. across 0 degrees).
_ABS_ERR = 1e-12
_REL_ERR = 1e-13
# Screening test n . p - k (line through a segment): error < 1e-15 * |n|_1 * max|coordinate|.
_LINE_ERR = 1e-13
# Distance (degrees; a few units in the last place of a longitude) within which both ends of
# a sub-piece put it on a boundary edge, as GEOS's noding would.
_SNAP = 1e-13
# Largest number of cells of the join grid (~20 bytes per cell while in use).
_MAX_GRID_CELLS = 1_000_000
# Consecutive boundary edges grouped into one chunk for the grid join.
_CHUNK = 8

_START, _CROSS, _DEG_BEGIN, _DEG_END, _END = range(5)  # event kinds, in tie-break order


def _as_geometry_array(geoms: ArrayLike) -> NDArray:
    """Return a 1-D object array of geometries (missing values stay ``None``)."""
    return np.asarray(geoms, dtype=object).ravel()


def _vertices(geoms: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Coordinates (x, y as contiguous 1-D arrays) and owning-geometry index of each vertex."""
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    return np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1]), owner


def _segments(lines: NDArray) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
    """Cut lines into straight segments of non-zero length.

    Returns
    -------
    x, y : ndarray of float64
        Vertex coordinates of all line parts.
    v : ndarray of intp
        Segment ``k`` runs from vertex ``v[k]`` to vertex ``v[k] + 1``.
    seg_part : ndarray of intp
        Part (single LineString) of each segment, non-decreasing: the segments of one part
        are consecutive and connected.
    part_line : ndarray of intp
        Index in ``lines`` of each part.
    """
    parts, part_line = shapely.get_parts(lines, return_index=True)
    is_line = np.isin(shapely.get_type_id(parts), (1, 2))  # LineString, LinearRing
    if not is_line.all():
        parts, part_line = parts[is_line], part_line[is_line]
    x, y, vpart = _vertices(parts)
    # a repeated vertex makes a segment of no length and no direction: skip it
    v = np.flatnonzero((vpart[1:] == vpart[:-1]) & ((x[1:] != x[:-1]) | (y[1:] != y[:-1])))
    kept, seg_part = np.unique(vpart[v], return_inverse=True)  # drop parts of no length
    return x, y, v, seg_part, part_line[kept]


def _edges(regions: NDArray) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
    """Boundary edges of every ring: x, y, start vertex, owning region, owning ring."""
    polys, owner = shapely.get_parts(regions, return_index=True)
    is_poly = shapely.get_type_id(polys) == 3
    if not is_poly.all():
        polys, owner = polys[is_poly], owner[is_poly]
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    x, y, vring = _vertices(rings)
    e = np.flatnonzero((vring[1:] == vring[:-1]) & ((x[1:] != x[:-1]) | (y[1:] != y[:-1])))
    return x, y, e, owner[ring_poly[vring[e]]], vring[e]


def _geodesic_km(x0: NDArray, y0: NDArray, x1: NDArray, y1: NDArray) -> NDArray[np.float64]:
    """Geodesic distance on the WGS84 ellipsoid from (x0, y0) to (x1, y1), in km."""
    return geodesic_distance_km(x0, y0, x1, y1)


def _lines2(x0: NDArray, y0: NDArray, x1: NDArray, y1: NDArray) -> NDArray:
    """Two-point LineStrings from coordinate arrays."""
    coords = np.empty((len(x0), 2, 2))
    coords[:, 0, 0], coords[:, 0, 1], coords[:, 1, 0], coords[:, 1, 1] = x0, y0, x1, y1
    return shapely.linestrings(coords)


# --------------------------------------------------------------------------------------
# candidate segment/edge pairs
# --------------------------------------------------------------------------------------


def _expand(counts: NDArray) -> tuple[NDArray, NDArray]:
    """For ``counts[i]`` items per row: the row of each item and its rank within the row."""
    rows = np.repeat(np.arange(len(counts)), counts)
    first = np.cumsum(counts) - counts
    return rows, np.arange(len(rows)) - first[rows]


class _Grid:
    """A uniform grid of square cells over a box, cells numbered ``i * ny + j``.

    The cell of a coordinate is ``floor((x - x0) / size)``, which is monotone in ``x``: two
    closed envelopes that meet always get cell ranges that meet, and the lower-left corner of
    their intersection falls in exactly one cell of both ranges.
    """

    def __init__(self, box: tuple[float, float, float, float], size: float, n_max: int) -> None:
        x0, y0, x1, y1 = box
        w, h = max(x1 - x0, 1e-12), max(y1 - y0, 1e-12)
        # cells of the given size, but at most about n_max of them (the grid's arrays and
        # their sums cost time in proportion), and at most 2048 along either side
        self.size = max(size, np.sqrt(w * h / n_max), max(w, h) / 2048)
        self.x0, self.y0 = x0, y0
        self.nx = int(w / self.size) + 1
        self.ny = int(h / self.size) + 1

    def ranges(self, xmin: NDArray, ymin: NDArray, xmax: NDArray, ymax: NDArray) -> tuple[NDArray, ...]:
        """Clipped cell ranges (i0, j0, i1, j1) of envelopes and whether each meets the grid."""
        i0, i1 = np.floor((xmin - self.x0) / self.size), np.floor((xmax - self.x0) / self.size)
        j0, j1 = np.floor((ymin - self.y0) / self.size), np.floor((ymax - self.y0) / self.size)
        meets = (i1 >= 0) & (i0 < self.nx) & (j1 >= 0) & (j0 < self.ny)
        i0, i1 = np.clip(i0, 0, self.nx - 1).astype(np.int64), np.clip(i1, 0, self.nx - 1)
        j0, j1 = np.clip(j0, 0, self.ny - 1).astype(np.int64), np.clip(j1, 0, self.ny - 1)
        return i0, j0, i1.astype(np.int64), j1.astype(np.int64), meets

    def cell(self, x: NDArray, y: NDArray) -> NDArray:
        """Cell number of points (which must lie in the grid's box)."""
        i = np.clip(np.floor((x - self.x0) / self.size), 0, self.nx - 1).astype(np.int64)
        j = np.clip(np.floor((y - self.y0) / self.size), 0, self.ny - 1).astype(np.int64)
        return i * self.ny + j

    def cells(self, i0: NDArray, j0: NDArray, i1: NDArray, j1: NDArray) -> tuple[NDArray, NDArray]:
        """Every cell of every range: (range index, cell number)."""
        w = j1 - j0 + 1
        rows, rank = _expand((i1 - i0 + 1) * w)
        return rows, (i0[rows] + rank // w[rows]) * self.ny + j0[rows] + rank % w[rows]


def _envelope(
    x0: NDArray, y0: NDArray, x1: NDArray, y1: NDArray
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Envelopes (xmin, ymin, xmax, ymax) of segments from (x0, y0) to (x1, y1)."""
    return np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1), np.maximum(y0, y1)


def _meet(a: tuple[NDArray, ...], b: tuple[NDArray, ...]) -> NDArray[np.bool_]:
    """Whether closed envelopes ``a`` and ``b`` (tuples of 4 arrays) meet, pairwise."""
    return (a[0] <= b[2]) & (b[0] <= a[2]) & (a[1] <= b[3]) & (b[1] <= a[3])


def _candidate_pairs(
    sx0: NDArray,
    sy0: NDArray,
    sx1: NDArray,
    sy1: NDArray,
    ex: NDArray,
    ey: NDArray,
    e: NDArray,
    edge_ring: NDArray,
) -> tuple[NDArray, NDArray]:
    """(segment, edge) index pairs that may meet: a superset of those that do, each once.

    Edges are grouped into chunks of up to ``_CHUNK`` consecutive edges of one ring; a
    uniform grid joins segment envelopes with chunk envelopes (each pair reported once, in
    the cell of the lower-left corner of the envelopes' intersection), and every chunk whose
    envelope meets a segment's contributes all its edges. All in numpy, no geometries.
    """
    seg_env = _envelope(sx0, sy0, sx1, sy1)
    edge_env = _envelope(ex[e], ey[e], ex[e + 1], ey[e + 1])
    n_edge = len(e)
    # chunks: consecutive edges of one ring
    rank = np.arange(n_edge)
    new_ring = np.r_[True, edge_ring[1:] != edge_ring[:-1]]
    ring_start = np.maximum.accumulate(np.where(new_ring, rank, 0))
    chunk_lo = np.flatnonzero(new_ring | ((rank - ring_start) % _CHUNK == 0))
    chunk_hi = np.r_[chunk_lo[1:], n_edge]
    chunk_env = (
        np.minimum.reduceat(edge_env[0], chunk_lo),
        np.minimum.reduceat(edge_env[1], chunk_lo),
        np.maximum.reduceat(edge_env[2], chunk_lo),
        np.maximum.reduceat(edge_env[3], chunk_lo),
    )
    # grid cells about the size of a segment or a chunk, whichever is larger
    extent = max(
        np.median(np.maximum(seg_env[2] - seg_env[0], seg_env[3] - seg_env[1])),
        np.median(np.maximum(chunk_env[2] - chunk_env[0], chunk_env[3] - chunk_env[1])),
    )
    box = (chunk_env[0].min(), chunk_env[1].min(), chunk_env[2].max(), chunk_env[3].max())
    n_max = min(_MAX_GRID_CELLS, max(65_536, 4 * (len(chunk_lo) + len(sx0))))
    grid = _Grid(box, float(extent), n_max)
    ci0, cj0, ci1, cj1, _ = grid.ranges(*chunk_env)
    c_row, c_cell = grid.cells(ci0, cj0, ci1, cj1)
    order = np.argsort(c_cell, kind="stable")
    c_row = c_row[order]
    cell_start = np.zeros(grid.nx * grid.ny + 1, dtype=np.int64)
    np.cumsum(np.bincount(c_cell, minlength=grid.nx * grid.ny), out=cell_start[1:])
    # segments near any chunk (summed-area table of occupied cells), their cells, the chunks
    occupied = (np.diff(cell_start) > 0).reshape(grid.nx, grid.ny)
    sat = np.zeros((grid.nx + 1, grid.ny + 1), dtype=np.int64)
    sat[1:, 1:] = occupied.cumsum(0).cumsum(1)
    si0, sj0, si1, sj1, meets = grid.ranges(*seg_env)
    n_occ = sat[si1 + 1, sj1 + 1] - sat[si0, sj1 + 1] - sat[si1 + 1, sj0] + sat[si0, sj0]
    seg = np.flatnonzero(meets & (n_occ > 0))
    s_row, s_cell = grid.cells(si0[seg], sj0[seg], si1[seg], sj1[seg])
    n_in = cell_start[s_cell + 1] - cell_start[s_cell]
    busy = np.flatnonzero(n_in)
    s_row, s_cell, n_in = s_row[busy], s_cell[busy], n_in[busy]
    p_entry, p_rank = _expand(n_in)
    p_seg = seg[s_row[p_entry]]
    p_chunk = c_row[cell_start[s_cell[p_entry]] + p_rank]
    s_env = tuple(a[p_seg] for a in seg_env)
    k_env = tuple(a[p_chunk] for a in chunk_env)
    ok = _meet(s_env, k_env)
    ref = grid.cell(np.maximum(s_env[0], k_env[0]), np.maximum(s_env[1], k_env[1]))
    ok &= ref == s_cell[p_entry]
    p_seg, p_chunk = p_seg[ok], p_chunk[ok]
    # chunks -> their edges (the orientation test discards edges that do not meet)
    q_pair, q_rank = _expand(chunk_hi[p_chunk] - chunk_lo[p_chunk])
    return p_seg[q_pair], chunk_lo[p_chunk[q_pair]] + q_rank


def _orient(
    px: NDArray, py: NDArray, qx: NDArray, qy: NDArray, rx: NDArray, ry: NDArray
) -> tuple[NDArray, NDArray]:
    """Orientation determinant of ``r`` relative to the line ``p -> q``, and its error bound."""
    ux, uy, vx, vy = qx - px, qy - py, rx - px, ry - py
    det = ux * vy - uy * vx
    scale = np.abs(ux) + np.abs(uy) + np.abs(vx) + np.abs(vy)
    return det, scale * (_ABS_ERR + _REL_ERR * scale)


def _classify(
    ax: NDArray,
    ay: NDArray,
    bx: NDArray,
    by: NDArray,
    cx: NDArray,
    cy: NDArray,
    dx: NDArray,
    dy: NDArray,
    js: NDArray,
    ie: NDArray,
) -> tuple[NDArray, NDArray, NDArray]:
    """Classify the pairs (segment ``js`` = ab, edge ``ie`` = cd).

    Returns
    -------
    proper : ndarray of intp
        Pairs that cross at a single point interior to both ...
    t : ndarray of float64
        ... at this parameter in (0, 1) along ``ab``.
    undecided : ndarray of intp
        Pairs the floating-point test cannot call (touching, collinear, too close), for
        :func:`_contacts` to settle exactly. All other pairs certainly do not meet.
    """
    # 1. cheap screen: both ends of cd surely on one side of the line through ab. With the
    # line written n . p = k, the rounding error of n . p - k is < 1e-15 |n|_1 max|coord|.
    nx, ny = ay - by, bx - ax
    k = nx * ax + ny * ay
    big = max(float(np.abs(a).max()) for a in (ax, ay, bx, by, cx, cy, dx, dy))
    bound = (np.abs(nx) + np.abs(ny)) * (_LINE_ERR * big)
    pnx, pny, pk, pb = nx[js], ny[js], k[js], bound[js]
    o1 = pnx * cx[ie] + pny * cy[ie] - pk
    o2 = pnx * dx[ie] + pny * dy[ie] - pk
    rest = np.flatnonzero(~(((o1 > pb) & (o2 > pb)) | ((o1 < -pb) & (o2 < -pb))))
    # 2. orientation tests on what is left
    js, ie = js[rest], ie[rest]
    ax, ay, bx, by = ax[js], ay[js], bx[js], by[js]
    cx, cy, dx, dy = cx[ie], cy[ie], dx[ie], dy[ie]
    o1, e1 = _orient(ax, ay, bx, by, cx, cy)
    o2, e2 = _orient(ax, ay, bx, by, dx, dy)
    o3, e3 = _orient(cx, cy, dx, dy, ax, ay)
    o4, e4 = _orient(cx, cy, dx, dy, bx, by)
    sure12 = (np.abs(o1) > e1) & (np.abs(o2) > e2)
    sure34 = (np.abs(o3) > e3) & (np.abs(o4) > e4)
    opposite12 = np.signbit(o1) != np.signbit(o2)
    opposite34 = np.signbit(o3) != np.signbit(o4)
    proper = sure12 & sure34 & opposite12 & opposite34
    disjoint = (sure12 & ~opposite12) | (sure34 & ~opposite34)
    t = o3[proper] / (o3[proper] - o4[proper])
    return rest[proper], t, rest[~proper & ~disjoint]


def _contacts(
    ax: NDArray, ay: NDArray, bx: NDArray, by: NDArray, cx: NDArray, cy: NDArray, dx: NDArray, dy: NDArray
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Exactly where segments ``ab`` and edges ``cd`` meet, for pairs that may touch.

    Shared end points (a line built from the boundary's own vertices) are settled here;
    anything else goes to GEOS (``shapely.intersection`` of the two 2-point lines).

    Returns
    -------
    pair : ndarray of intp
        Pair of each contact point, non-decreasing; pairs that do not meet have none.
    x, y : ndarray of float64
        Contact points.
    run : ndarray of bool
        The pair overlaps along a collinear run; it then has exactly two contact points, the
        run's ends, one after the other.
    """
    a_c = (ax == cx) & (ay == cy)
    a_d = (ax == dx) & (ay == dy)
    b_c = (bx == cx) & (by == cy)
    b_d = (bx == dx) & (by == dy)
    same = (a_c & b_d) | (a_d & b_c)  # the segment is the edge
    o_c, e_c = _orient(ax, ay, bx, by, cx, cy)
    o_d, e_d = _orient(ax, ay, bx, by, dx, dy)
    # one shared end and the edge surely not on the segment's line: they meet there only
    corner = (a_c | a_d | b_c | b_d) & ~same & ((np.abs(o_c) > e_c) | (np.abs(o_d) > e_d))
    hard = np.flatnonzero(~same & ~corner)
    inter = shapely.intersection(
        _lines2(ax[hard], ay[hard], bx[hard], by[hard]),
        _lines2(cx[hard], cy[hard], dx[hard], dy[hard]),
    )
    gx, gy, g_owner = _vertices(inter)  # Point: touch; 2-point LineString: collinear run
    g_run = (shapely.get_type_id(inter) == 1)[g_owner]
    s, c = np.flatnonzero(same), np.flatnonzero(corner)
    at_a = a_c[c] | a_d[c]
    pair = np.concatenate([s, s, c, hard[g_owner]])
    x = np.concatenate([ax[s], bx[s], np.where(at_a, ax[c], bx[c]), gx])
    y = np.concatenate([ay[s], by[s], np.where(at_a, ay[c], by[c]), gy])
    run = np.concatenate([np.ones(2 * len(s), bool), np.zeros(len(c), bool), g_run])
    order = np.argsort(pair, kind="stable")  # keeps the two ends of a run together
    return pair[order], x[order], y[order], run[order]


def _dist2(
    px: NDArray, py: NDArray, ax: NDArray, ay: NDArray, bx: NDArray, by: NDArray
) -> NDArray[np.float64]:
    """Squared distance in degrees from points ``p`` to segments ``ab``."""
    ux, uy = bx - ax, by - ay
    t = np.clip(((px - ax) * ux + (py - ay) * uy) / (ux * ux + uy * uy), 0.0, 1.0)
    return (ax + t * ux - px) ** 2 + (ay + t * uy - py) ** 2


def _along_contact_edge(
    bp_x: NDArray,
    bp_y: NDArray,
    bp_group: NDArray,
    k: NDArray,
    ex: NDArray,
    ey: NDArray,
    c_group: NDArray,
    c_edge: NDArray,
) -> NDArray[np.bool_]:
    """Whether sub-piece ``k -> k + 1`` lies within _SNAP of one of its group's contact edges.

    ``c_group`` / ``c_edge``: group and edge start vertex of every contact (see
    :func:`_contacts`).
    """
    order = np.argsort(c_group, kind="stable")
    c_group, c_edge = c_group[order], c_edge[order]
    g = bp_group[k]
    lo, hi = np.searchsorted(c_group, g), np.searchsorted(c_group, g, side="right")
    row, rank = _expand(hi - lo)
    kk, ce = k[row], c_edge[lo[row] + rank]
    tol2 = _SNAP * _SNAP
    on = (_dist2(bp_x[kk], bp_y[kk], ex[ce], ey[ce], ex[ce + 1], ey[ce + 1]) <= tol2) & (
        _dist2(bp_x[kk + 1], bp_y[kk + 1], ex[ce], ey[ce], ex[ce + 1], ey[ce + 1]) <= tol2
    )
    return np.bincount(row[on], minlength=len(k)) > 0


def _param(
    px: NDArray, py: NDArray, ax: NDArray, ay: NDArray, bx: NDArray, by: NDArray
) -> NDArray[np.float64]:
    """Parameter of the projection of ``p`` on segment ``ab``, clipped to [0, 1]."""
    ux, uy = bx - ax, by - ay
    return np.clip(((px - ax) * ux + (py - ay) * uy) / (ux * ux + uy * uy), 0.0, 1.0)


# --------------------------------------------------------------------------------------
# the kernel
# --------------------------------------------------------------------------------------


def _line_region_km(lines: ArrayLike, regions: ArrayLike) -> tuple[NDArray, NDArray, NDArray]:
    """Core of the module: ``(line index, region index, km)`` per pair with km > 0."""
    line_arr = _as_geometry_array(lines)
    region_arr = _as_geometry_array(regions)
    n_reg = len(region_arr)
    nothing = (np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), np.zeros(0))
    if len(line_arr) == 0 or n_reg == 0:
        return nothing
    lx, ly, v, seg_part, part_line = _segments(line_arr)
    ex, ey, e, edge_region, edge_ring = _edges(region_arr)
    if len(v) == 0 or len(e) == 0:
        return nothing
    ax, ay, bx, by = lx[v], ly[v], lx[v + 1], ly[v + 1]
    parts = np.arange(len(part_line))
    part_first = np.searchsorted(seg_part, parts)  # first segment of each part ...
    part_last = np.searchsorted(seg_part, parts, side="right") - 1  # ... and last

    # -- 1. where segments meet region boundaries ----------------------------------------
    js, ie = _candidate_pairs(ax, ay, bx, by, ex, ey, e, edge_ring)
    p_idx, p_t, u_idx = _classify(ax, ay, bx, by, ex[e], ey[e], ex[e + 1], ey[e + 1], js, ie)
    x_seg, x_reg, x_t = js[p_idx], edge_region[ie[p_idx]], p_t  # proper crossings
    u_seg, u_edge, u_reg = js[u_idx], e[ie[u_idx]], edge_region[ie[u_idx]]
    c_pair, ux, uy, c_run = _contacts(
        ax[u_seg],
        ay[u_seg],
        bx[u_seg],
        by[u_seg],
        ex[u_edge],
        ey[u_edge],
        ex[u_edge + 1],
        ey[u_edge + 1],
    )
    touch = np.unique(c_pair)  # pairs that really meet: a point or a collinear run
    c_pair = np.searchsorted(touch, c_pair)
    u_seg, u_edge, u_reg = u_seg[touch], u_edge[touch], u_reg[touch]
    # a segment that touches or runs along a region's boundary is "degenerate" for it
    deg_key = np.unique(u_seg.astype(np.int64) * n_reg + u_reg)
    deg_seg, deg_reg = deg_key // n_reg, deg_key % n_reg
    x_key = x_seg.astype(np.int64) * n_reg + x_reg
    x_deg = np.isin(x_key, deg_key)  # crossings on degenerate segments are handled there

    # -- 2. events along each (part, region) pair that has any ----------------------------
    # (group = part * n_reg + region, segment, t, kind), sorted along the part
    cs, cr, ct = x_seg[~x_deg], x_reg[~x_deg], x_t[~x_deg]
    c_group = seg_part[cs].astype(np.int64) * n_reg + cr
    d_group = seg_part[deg_seg].astype(np.int64) * n_reg + deg_reg
    groups = np.unique(np.concatenate([c_group, d_group]))
    g_part = groups // n_reg
    n_c, n_d, n_g = len(cs), len(deg_seg), len(groups)
    ev_group = np.concatenate([c_group, d_group, d_group, groups, groups])
    ev_seg = np.concatenate([cs, deg_seg, deg_seg, part_first[g_part], part_last[g_part]])
    ev_t = np.concatenate([ct, np.zeros(n_d), np.ones(n_d), np.zeros(n_g), np.ones(n_g)])
    ev_kind = np.repeat([_CROSS, _DEG_BEGIN, _DEG_END, _START, _END], [n_c, n_d, n_d, n_g, n_g])
    order = np.lexsort((ev_kind, ev_t, ev_seg, ev_group))
    ev_group, ev_seg, ev_t, ev_kind = ev_group[order], ev_seg[order], ev_t[order], ev_kind[order]
    ev_x = ax[ev_seg] + ev_t * (bx[ev_seg] - ax[ev_seg])
    ev_y = ay[ev_seg] + ev_t * (by[ev_seg] - ay[ev_seg])
    at_end = ev_t == 1.0  # exactly the vertex, not a + 1 * (b - a)
    ev_x[at_end], ev_y[at_end] = bx[ev_seg[at_end]], by[ev_seg[at_end]]

    # -- 3. sub-pieces of degenerate segments ---------------------------------------------
    # breakpoints: the segment's ends, its proper crossings of that region's boundary and
    # the GEOS contact points; +1/-1 marks where a collinear run along an edge starts/ends
    xs, xt = x_seg[x_deg], x_t[x_deg]
    xg = np.searchsorted(deg_key, x_key[x_deg])
    u_owner = c_pair
    ug = np.searchsorted(deg_key, u_seg[u_owner].astype(np.int64) * n_reg + u_reg[u_owner])
    us = u_seg[u_owner]
    ut = _param(ux, uy, ax[us], ay[us], bx[us], by[us])
    u_delta = np.zeros(len(ux), np.int64)
    k0 = np.flatnonzero(c_run)[::2]  # a collinear run: two consecutive contact points
    k1 = k0 + 1
    swap = ut[k0] > ut[k1]
    u_delta[np.where(swap, k1, k0)] = 1
    u_delta[np.where(swap, k0, k1)] = -1
    all_d = np.arange(n_d)
    bp_group = np.concatenate([all_d, all_d, xg, ug])
    bp_t = np.concatenate([np.zeros(n_d), np.ones(n_d), xt, ut])
    bp_x = np.concatenate([ax[deg_seg], bx[deg_seg], ax[xs] + xt * (bx[xs] - ax[xs]), ux])
    bp_y = np.concatenate([ay[deg_seg], by[deg_seg], ay[xs] + xt * (by[xs] - ay[xs]), uy])
    bp_delta = np.concatenate([np.zeros(2 * n_d + len(xs), np.int64), u_delta])
    bp_node = np.r_[np.zeros(2 * n_d, bool), np.ones(len(xs) + len(ux), bool)]  # on an edge
    order = np.lexsort((bp_t, bp_group))
    bp_group, bp_x, bp_y, bp_t = bp_group[order], bp_x[order], bp_y[order], bp_t[order]
    along_edge = np.cumsum(bp_delta[order]) > 0
    # a position is a boundary node if any breakpoint there is
    new_pos = np.ones(len(bp_group), dtype=bool)
    new_pos[1:] = (bp_group[1:] != bp_group[:-1]) | (bp_x[1:] != bp_x[:-1]) | (bp_y[1:] != bp_y[:-1])
    pos = np.cumsum(new_pos) - 1
    bp_node = (np.bincount(pos, weights=bp_node[order], minlength=len(pos)) > 0)[pos]
    k = np.flatnonzero(bp_group[1:] == bp_group[:-1])  # sub-piece from breakpoint k to k+1
    k = k[(bp_x[k] != bp_x[k + 1]) | (bp_y[k] != bp_y[k + 1])]
    k_edge, k_mid = k[along_edge[k]], k[~along_edge[k]]
    # GEOS's overlay nodes line and boundary together: a sub-piece between two boundary
    # nodes that both lie (to rounding) on one edge becomes that edge, i.e. runs along the
    # boundary, even if the segment and the edge were not exactly collinear before noding
    both = bp_node[k_mid] & bp_node[k_mid + 1]
    near = np.zeros(len(k_mid), dtype=bool)
    near[both] = _along_contact_edge(
        bp_x,
        bp_y,
        bp_group,
        k_mid[both],
        ex,
        ey,
        np.searchsorted(deg_key, u_seg.astype(np.int64) * n_reg + u_reg),
        u_edge,
    )
    k_edge, k_mid = np.concatenate([k_edge, k_mid[near]]), k_mid[~near]
    # where a sub-piece is in or out: at an input vertex off the boundary if it ends at one
    # (exact coordinates), else at its midpoint
    mid_x = 0.5 * (bp_x[k_mid] + bp_x[k_mid + 1])
    mid_y = 0.5 * (bp_y[k_mid] + bp_y[k_mid + 1])
    for end, t in ((k_mid, 0.0), (k_mid + 1, 1.0)):
        vertex = (bp_t[end] == t) & ~bp_node[end]
        mid_x[vertex], mid_y[vertex] = bp_x[end[vertex]], bp_y[end[vertex]]

    # -- 4. one point-in-polygon pass: part starts, restarts, sub-piece test points -------
    restart = np.flatnonzero(ev_kind == _DEG_END)
    n_parts, n_restart = len(part_first), len(restart)
    px = np.concatenate([ax[part_first], ev_x[restart], mid_x])
    py = np.concatenate([ay[part_first], ev_y[restart], mid_y])
    tree = shapely.STRtree(shapely.points(px, py))
    reg_i, pt_j = tree.query(region_arr, predicate="intersects")  # closed regions
    sel = pt_j < n_parts
    start_key = np.sort(pt_j[sel].astype(np.int64) * n_reg + reg_i[sel])
    sel = (pt_j >= n_parts) & (pt_j < n_parts + n_restart)
    r_ev, r_reg = restart[pt_j[sel] - n_parts], reg_i[sel]
    value = np.zeros(len(ev_kind), dtype=bool)  # membership set at START and DEG_END
    value[r_ev[r_reg == ev_group[r_ev] % n_reg]] = True
    sel = pt_j >= n_parts + n_restart
    m, m_reg = pt_j[sel] - n_parts - n_restart, reg_i[sel]
    k_in = np.concatenate([k_edge, k_mid[m[m_reg == deg_reg[bp_group[k_mid[m]]]]]])

    # -- 5. lengths ------------------------------------------------------------------------
    # geodesic length of the segments of every part that is anywhere inside a region
    quiet = start_key[~np.isin(start_key, groups)]  # (part, region) pairs without events
    used = np.zeros(len(part_line), dtype=bool)
    used[quiet // n_reg] = True
    used[g_part] = True
    seg_km = np.zeros(len(v))
    s_used = np.flatnonzero(used[seg_part])
    seg_km[s_used] = _geodesic_km(ax[s_used], ay[s_used], bx[s_used], by[s_used])
    part_km = np.bincount(seg_part, weights=seg_km, minlength=len(part_line))
    # prefix sums for runs of whole segments (extended precision where the platform has it)
    cum_km = np.zeros(len(v) + 1, dtype=np.longdouble)
    np.cumsum(seg_km, dtype=np.longdouble, out=cum_km[1:])
    # pairs without events: the whole part, if its first vertex is inside
    out_line = [part_line[quiet // n_reg]]
    out_reg = [quiet % n_reg]
    out_km = [part_km[quiet // n_reg]]
    # pairs with events: membership at START / DEG_END, flipped by each CROSS after it
    is_start = ev_kind == _START
    value[is_start] = np.isin(ev_group[is_start], start_key)
    reset = is_start | (ev_kind == _DEG_END)
    last_reset = np.maximum.accumulate(np.where(reset, np.arange(len(ev_kind)), 0))
    n_cross = np.cumsum(ev_kind == _CROSS)
    inside = value[last_reset] ^ ((n_cross - n_cross[last_reset]) % 2 == 1)
    k = np.flatnonzero(
        inside[:-1]
        & (ev_group[:-1] == ev_group[1:])
        & (ev_kind[:-1] != _DEG_BEGIN)  # the degenerate segment itself is done in step 3
    )
    s0, s1 = ev_seg[k], ev_seg[k + 1]
    same = s0 == s1
    piece_km = np.empty(len(k))
    ks = k[same]
    piece_km[same] = _geodesic_km(ev_x[ks], ev_y[ks], ev_x[ks + 1], ev_y[ks + 1])
    kd, s0, s1 = k[~same], s0[~same], s1[~same]
    piece_km[~same] = (
        _geodesic_km(ev_x[kd], ev_y[kd], bx[s0], by[s0])
        + (cum_km[s1] - cum_km[s0 + 1]).astype(np.float64)
        + _geodesic_km(ax[s1], ay[s1], ev_x[kd + 1], ev_y[kd + 1])
    )
    out_line.append(part_line[ev_group[k] // n_reg])
    out_reg.append(ev_group[k] % n_reg)
    out_km.append(piece_km)
    # sub-pieces of degenerate segments
    g = bp_group[k_in]
    out_line.append(part_line[seg_part[deg_seg[g]]])
    out_reg.append(deg_reg[g])
    out_km.append(_geodesic_km(bp_x[k_in], bp_y[k_in], bp_x[k_in + 1], bp_y[k_in + 1]))

    line_idx = np.concatenate(out_line).astype(np.int64)
    reg_idx = np.concatenate(out_reg).astype(np.int64)
    key, inv = np.unique(line_idx * n_reg + reg_idx, return_inverse=True)
    total = np.bincount(inv, weights=np.concatenate(out_km), minlength=len(key))
    nz = total > 0
    return (key[nz] // n_reg).astype(np.intp), (key[nz] % n_reg).astype(np.intp), total[nz]


def pieces_by_region(
    lines: ArrayLike, regions: ArrayLike
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """Geodesic length of each line inside each region, for every pair with a non-zero length.

    Equivalent to ``geopandas.overlay(lines, regions, how="intersection",
    keep_geom_type=True)`` followed by :func:`~jsplan_gis.measure.geodesic_length_km` of each
    piece, the pieces of one line in one region summed. Closed-set intersection: a line on a
    boundary shared by two regions counts for both (see the module docstring).

    Parameters
    ----------
    lines : array_like of shapely.Geometry or geopandas.GeoSeries
        LineString / MultiLineString geometries in WGS84 longitude/latitude degrees
        (EPSG:4326). Missing, empty and zero-length lines contribute nothing.
    regions : array_like of shapely.Geometry or geopandas.GeoSeries
        Valid Polygon / MultiPolygon geometries in WGS84 longitude/latitude degrees. They may
        overlap; missing or empty regions get nothing.

    Returns
    -------
    line_idx : ndarray of intp
        Position of the line in ``lines``.
    region_idx : ndarray of intp
        Position of the region in ``regions``.
    km : ndarray of float64
        Geodesic length on the WGS84 ellipsoid of the part of the line inside the closed
        region, in kilometres; always > 0. Sorted by ``line_idx``, then ``region_idx``.

    Examples
    --------
    >>> from shapely import LineString, box
    >>> lines = [LineString([(119.0, 32.5), (121.0, 32.5)])]
    >>> regions = [box(118, 32, 120, 33), box(120, 32, 122, 33)]
    >>> line_idx, region_idx, km = pieces_by_region(lines, regions)
    >>> line_idx.tolist(), region_idx.tolist(), [round(float(x), 3) for x in km]
    ([0, 0], [0, 1], [93.976, 93.976])
    """
    return _line_region_km(lines, regions)


def length_by_region(lines: ArrayLike, regions: ArrayLike) -> NDArray[np.float64]:
    """Total geodesic length of the lines inside each region, in km.

    The per-region sum of :func:`pieces_by_region`: what ``geopandas.overlay(lines, regions,
    how="intersection", keep_geom_type=True)`` and geodesic lengths of the pieces give.

    Parameters
    ----------
    lines : array_like of shapely.Geometry or geopandas.GeoSeries
        LineString / MultiLineString geometries in WGS84 longitude/latitude degrees.
    regions : array_like of shapely.Geometry or geopandas.GeoSeries
        Valid Polygon / MultiPolygon geometries in WGS84 longitude/latitude degrees.

    Returns
    -------
    ndarray of float64, shape (len(regions),)
        Kilometres of line inside each closed region; 0 for regions no line reaches. A line
        on a boundary shared by two regions counts for both.

    Examples
    --------
    >>> from shapely import LineString, box
    >>> lines = [LineString([(119.0, 32.5), (121.0, 32.5)]), LineString([(120, 32), (120, 33)])]
    >>> km = length_by_region(lines, [box(118, 32, 120, 33), box(120, 32, 122, 33)])
    >>> [round(float(x), 3) for x in km]
    [204.872, 204.872]
    """
    region_arr = _as_geometry_array(regions)
    _, region_idx, km = _line_region_km(lines, region_arr)
    return np.bincount(region_idx, weights=km, minlength=len(region_arr))
