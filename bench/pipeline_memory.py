"""Peak memory of analysing one uploaded image, before and after the corridor-only tiled read.

For each size (default 3000 and 6000 px square) a *sparse* GeoTIFF is written: 8 float32 bands, tiled
256 x 256, deflate, and only the blocks along a corner-to-corner route hold data (the rest are absent,
SPARSE_OK), so the file is small while the corridor window is the whole raster. Each path runs in a fresh
process doing what the worker does (``processing.image_analyze``: read the corridor, build the corridor,
``analyze_scene``); the figure is the growth of the process's peak RSS over the run (VmHWM after resetting it
through /proc/self/clear_refs; ru_maxrss where that is not possible):

* before: the read as it was (the whole corridor window of every band into float32 arrays, GDAL's
  default block cache), kept below as ``legacy_read`` for this comparison;
* after: ``imagery.read_corridor`` (only the corridor pixels, read tile by tile, bounded GDAL cache).

Both paths must give the same detections; the script says so.

    .venv/bin/python bench/pipeline_memory.py [--sizes 3000 6000] [--buffer 300]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# bench/ holds an ``http.py`` that would shadow the standard library's ``http`` (pyproj imports it)
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from bench.common import bench_line  # noqa: E402 - after the path fix above

BANDS = ["blue", "green", "red", "nir", "swir16", "swir22", "thermal", "displacement"]
LEVEL = {"blue": 0.05, "green": 0.08, "red": 0.10, "nir": 0.25, "swir16": 0.22, "swir22": 0.14}


def _route_px(size: int) -> list[tuple[float, float]]:
    return [(0.02 * size, 0.02 * size), (0.5 * size, 0.45 * size), (0.98 * size, 0.98 * size)]


def write_sparse(path: Path, size: int, buffer_m: float) -> None:
    """Data only in the 256 px blocks within the buffer (+1 block) of the route; a few vegetation patches."""
    import numpy as np
    import rasterio
    import shapely
    from affine import Affine
    from rasterio.windows import Window

    rng = np.random.default_rng(size)
    block = 256
    line = shapely.LineString(_route_px(size))
    reach = buffer_m / 10.0 + block
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=len(BANDS),
        dtype="float32",
        crs="EPSG:32633",
        transform=Affine(10.0, 0, 400000.0, 0, -10.0, 5000000.0),
        tiled=True,
        blockxsize=block,
        blockysize=block,
        compress="deflate",
        sparse_ok=True,
    ) as dataset:
        for index, name in enumerate(BANDS, start=1):
            dataset.set_band_description(index, name)
        for r0 in range(0, size, block):
            for c0 in range(0, size, block):
                h, w = min(block, size - r0), min(block, size - c0)
                if line.distance(shapely.box(r0, c0, r0 + h, c0 + w)) > reach:
                    continue
                noise = rng.standard_normal((len(BANDS), h, w), dtype=np.float32)
                pixels = np.empty((len(BANDS), h, w), np.float32)
                for i, name in enumerate(BANDS):
                    if name == "thermal":
                        pixels[i] = 295.0 + noise[i] * 0.3
                    elif name == "displacement":
                        pixels[i] = noise[i]
                    else:
                        pixels[i] = LEVEL[name] + noise[i] * 0.004
                dataset.write(pixels, window=Window(c0, r0, w, h))
        for k in range(1, 6):  # dense vegetation on the first segment
            r = int(0.02 * size + 0.48 * size * k / 6)
            c = int(0.02 * size + 0.43 * size * k / 6)
            patch = Window(c - 3, r - 3, 7, 7)
            dataset.write(np.full((7, 7), 0.03, np.float32), 3, window=patch)
            dataset.write(np.full((7, 7), 0.45, np.float32), 4, window=patch)


def legacy_read(path: str, *, bands, route_lonlat, facilities_lonlat, buffer_m):
    """The read as it was before the tiled corridor read (for the comparison only)."""
    import numpy as np
    import rasterio
    from pyproj import Transformer
    from rasterio.windows import Window, from_bounds

    from custos.modules.pipelines.analysis.scene import Scene
    from custos.modules.pipelines.imagery import SPECTRAL, _pixel_size_m

    def as_physical(name, values):
        values = values.astype(np.float32)
        if name in SPECTRAL and values.size and np.nanmax(values) > 1.5:
            values /= np.float32(10000.0)
        return values

    with rasterio.open(path) as dataset:
        to_raster = Transformer.from_crs("EPSG:4326", dataset.crs, always_xy=True)
        xs, ys = to_raster.transform([p[0] for p in route_lonlat], [p[1] for p in route_lonlat])
        pixel_m = _pixel_size_m(dataset)
        pad = (buffer_m / pixel_m + 2) * abs(dataset.transform.a)
        window = from_bounds(min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad, dataset.transform)
        window = window.round_offsets().round_lengths().intersection(Window(0, 0, dataset.width, dataset.height))
        arrays = dataset.read(window=window, masked=False)
        transform = dataset.window_transform(window)
        scene = Scene(
            {name: as_physical(name, arrays[index]) for index, name in enumerate(bands)},
            transform,
            dataset.crs.to_string(),
            pixel_m,
        )
        inverse = ~transform
        route_px = [tuple(reversed(inverse @ (x, y))) for x, y in zip(xs, ys, strict=True)]
        route_px = [(row - 0.5, col - 0.5) for row, col in route_px]
    return scene, route_px


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(key))


def _start_peak() -> int:
    """The RSS now (kB), with the peak (VmHWM) reset to it where Linux allows, else the peak so far."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return _status_kb("VmRSS:")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak() -> int:
    try:
        return _status_kb("VmHWM:")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(path: str, mode: str, size: int, buffer_m: float) -> None:
    """One run in a fresh process: prints JSON with the peak RSS growth and the detections."""
    import rasterio

    from custos.modules.pipelines import imagery
    from custos.modules.pipelines.analysis.engine import analyze_scene
    from custos.modules.pipelines.analysis.scene import Scene, corridor_from_route
    from custos.modules.pipelines.analysis.synthetic import lonlat_of

    with rasterio.open(path) as dataset:
        grid = Scene({}, dataset.transform, dataset.crs.to_string(), 10.0)
    route_lonlat = lonlat_of(grid, _route_px(size))
    baseline = _start_peak()
    started = time.perf_counter()
    kwargs = {"bands": BANDS, "route_lonlat": route_lonlat, "facilities_lonlat": [], "buffer_m": buffer_m}
    if mode == "before":
        scene, route_px = legacy_read(path, **kwargs)
    else:
        read = imagery.read_corridor(path, **kwargs)
        scene, route_px = read.scene, read.route_px
    corridor = corridor_from_route(scene.shape, route_px, pixel_size_m=scene.pixel_size_m, buffer_m=buffer_m)
    found = analyze_scene(scene, corridor)
    seconds = time.perf_counter() - started
    peak = _peak()
    print(
        json.dumps(
            {
                "growth_kb": peak - baseline,
                "seconds": seconds,
                "window_px": scene.shape[0] * scene.shape[1],
                "corridor_px": corridor.size,
                "detections": [
                    [d.analysis_type, d.confidence, list(d.centroid_px), d.area_px, d.statistics["mean_value"]]
                    for d in found
                ],
            }
        )
    )


def run(path: Path, mode: str, size: int, buffer_m: float) -> dict:
    command = [sys.executable, __file__, "--child", str(path), mode, str(size), str(buffer_m)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 6000])
    parser.add_argument("--buffer", type=float, default=300.0)
    args = parser.parse_args()
    print(
        f"{'raster':>22s} {'file':>8s} {'window px':>11s} {'corridor px':>12s} | {'peak RSS growth (MB)':^31s} | same"
    )
    print(f"{'':>22s} {'':>8s} {'':>11s} {'':>12s} | {'before':>9s} {'after':>9s} {'ratio':>9s} | results")
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            path = Path(folder) / f"sparse-{size}.tif"
            write_sparse(path, size, args.buffer)
            before = run(path, "before", size, args.buffer)
            after = run(path, "after", size, args.buffer)
            same = before["detections"] == after["detections"]
            mb_before, mb_after = before["growth_kb"] / 1024, after["growth_kb"] / 1024
            print(
                f"{f'{size}x{size}x8 float32':>22s} {path.stat().st_size / 1e6:7.1f}M {before['window_px']:>11,} "
                f"{after['corridor_px']:>12,} | {mb_before:9.1f} {mb_after:9.1f} "
                f"{mb_before / max(mb_after, 1e-9):8.1f}x | {'yes' if same else 'NO'} "
                f"({len(after['detections'])} detections; {before['seconds']:.1f}s -> {after['seconds']:.1f}s)"
            )
            # The baseline: the legacy whole-window read of the same file, measured in this run.
            print(bench_line(f"pipeline_memory_{size}_peak_rss_growth", mb_after, "MB", baseline=mb_before))
            print(bench_line(f"pipeline_memory_{size}_seconds", after["seconds"], "s", baseline=before["seconds"]))
            per_pixel = before["growth_kb"] * 1024 / before["window_px"]
            print(
                f"{'':>22s} before: {per_pixel:.1f} bytes per window pixel; "
                f"after: {after['growth_kb'] * 1024 / after['corridor_px']:.1f} bytes per corridor pixel"
            )
            if not same:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
