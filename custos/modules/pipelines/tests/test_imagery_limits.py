"""Uploads are refused by what they declare before any pixel is read (dimensions, bands, decompressed and
block size), truncated files are a 400, every read at upload is bounded, analysis reads only the corridor
pixels tile by tile with the same results, and an image outside the corridor is a clear domain error."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest
import rasterio
from affine import Affine
from django.core.files.uploadedfile import SimpleUploadedFile
from pyproj import Transformer
from rasterio.windows import Window, from_bounds

from custos.kernel.errors import ValidationFailed
from custos.modules.pipelines import imagery
from custos.modules.pipelines.analysis.engine import analyze_scene
from custos.modules.pipelines.analysis.scene import CorridorScene, Scene, corridor_from_route
from custos.modules.pipelines.analysis.synthetic import lonlat_of, synthetic_case, write_geotiff
from custos.modules.pipelines.models import Pipeline, SatelliteImage

UTM = Affine(10.0, 0, 500000.0, 0, -10.0, 4500000.0)
MAX_BYTES = 200 * 1_048_576
BANDS3 = ["red", "green", "blue"]


def geotiff(
    width: int,
    height: int,
    count: int = 3,
    *,
    dtype: str = "uint16",
    fill=None,
    sparse: bool = False,
    **options,
) -> bytes:
    """A GeoTIFF in UTM 33N. ``fill``: an array-maker ``(count, h, w) -> array``, or None to write nothing
    (with ``sparse``, absent blocks: a tiny file declaring any size)."""
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": count,
        "dtype": dtype,
        "crs": "EPSG:32633",
        "transform": UTM,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
    }
    if sparse:
        profile["sparse_ok"] = True
    profile.update(options)
    buffer = io.BytesIO()
    with rasterio.open(buffer, "w", **profile) as dataset:
        if fill is not None:
            dataset.write(fill(count, height, width).astype(dtype))
    return buffer.getvalue()


def _random(count: int, height: int, width: int) -> np.ndarray:
    return np.random.default_rng(1).integers(0, 10000, (count, height, width))


def _field_error(excinfo) -> str:
    return excinfo.value.field_errors["image_file"][0]


# --- 1. declared dimensions -----------------------------------------------------------------------


def test_a_tiny_file_declaring_30000_squared_by_8_bands_is_refused_before_reading(monkeypatch):
    data = geotiff(30000, 30000, 8, dtype="uint8", sparse=True, blockxsize=512, blockysize=512)
    assert len(data) < 100_000  # the header alone declares 7.2 GB
    monkeypatch.setattr(imagery, "_thumbnail", lambda *a: pytest.fail("pixels were read"), raising=False)
    with pytest.raises(ValidationFailed) as excinfo:
        imagery.inspect_upload(data, given_bands=None, max_bytes=MAX_BYTES)
    assert _field_error(excinfo) == (
        "The raster has 900,000,000 px (30,000x30,000); the maximum raster size is 121,000,000 px."
    )


@pytest.mark.parametrize(
    ("setting", "value", "size", "message"),
    [
        ("PIPELINE_MAX_RASTER_WIDTH", 400, (512, 300, 3),
         "The raster is 512 px wide; the maximum raster width is 400 px."),
        ("PIPELINE_MAX_RASTER_HEIGHT", 256, (300, 512, 3),
         "The raster is 512 px high; the maximum raster height is 256 px."),
        ("PIPELINE_MAX_RASTER_PIXELS", 100_000, (512, 512, 3),
         "The raster has 262,144 px (512x512); the maximum raster size is 100,000 px."),
        ("PIPELINE_MAX_RASTER_BANDS", 2, (64, 64, 3), "The raster has 3 bands; the maximum is 2 bands."),
    ],
)  # fmt: skip
def test_each_dimension_limit_comes_from_settings(settings, setting, value, size, message):
    data = geotiff(*size, sparse=True)
    assert imagery.inspect_upload(data, given_bands=BANDS3, max_bytes=MAX_BYTES).width == size[0]  # within defaults
    setattr(settings, setting, value)
    with pytest.raises(ValidationFailed) as excinfo:
        imagery.inspect_upload(data, given_bands=BANDS3, max_bytes=MAX_BYTES)
    assert _field_error(excinfo) == message


def test_an_upload_within_the_limits_is_described_and_thumbnailed_in_one_read():
    data = geotiff(600, 300, 3, fill=_random)
    info = imagery.inspect_upload(data, given_bands=BANDS3, max_bytes=MAX_BYTES)
    assert (info.width, info.height, info.bands, info.crs) == (600, 300, BANDS3, "EPSG:32633")
    assert info.native_bounds == (500000.0, 4497000.0, 506000.0, 4500000.0)
    assert info.thumbnail[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    assert Image.open(io.BytesIO(info.thumbnail)).size == (256, 128)


def test_bad_input_is_still_refused_with_its_reason():
    with pytest.raises(ValidationFailed) as excinfo:
        imagery.inspect_upload(b"GIF89a" + bytes(100), given_bands=None, max_bytes=MAX_BYTES)
    assert _field_error(excinfo) == "Not a GeoTIFF file (expected a TIFF or BigTIFF header)."
    with pytest.raises(ValidationFailed) as excinfo:
        imagery.inspect_upload(geotiff(1, 50, sparse=True), given_bands=None, max_bytes=MAX_BYTES)
    assert _field_error(excinfo) == "Raster dimensions 1x50 are out of range (at least 2 px a side)."


# --- 2. compression bombs -------------------------------------------------------------------------


def test_the_declared_decompressed_size_is_limited(monkeypatch):
    # 10000 x 10000 px x 2 float64 bands: within the pixel and band limits, 1.5 GB once decompressed
    data = geotiff(10000, 10000, 2, dtype="float64", sparse=True)
    monkeypatch.setattr(imagery, "_thumbnail", lambda *a: pytest.fail("pixels were read"), raising=False)
    with pytest.raises(ValidationFailed) as excinfo:
        imagery.inspect_upload(data, given_bands=["red", "nir"], max_bytes=MAX_BYTES)
    assert _field_error(excinfo) == (
        "The raster holds 1,525.9 MB once decompressed (10,000x10,000 px, 2 bands of float64); "
        "the maximum decompressed raster size is 1,024.0 MB."
    )


def test_a_real_compression_bomb_is_refused_by_the_configured_limit(settings, monkeypatch):
    zeros = geotiff(2048, 2048, 2, dtype="float32", fill=lambda c, h, w: np.zeros((c, h, w)))
    assert len(zeros) < 200_000  # 32 MB of pixels
    assert imagery.inspect_upload(zeros, given_bands=["red", "nir"], max_bytes=MAX_BYTES).width == 2048
    settings.PIPELINE_MAX_RASTER_DECOMPRESSED_BYTES = 16 * 1_048_576
    monkeypatch.setattr(imagery, "_thumbnail", lambda *a: pytest.fail("pixels were read"), raising=False)
    with pytest.raises(ValidationFailed) as excinfo:
        imagery.inspect_upload(zeros, given_bands=["red", "nir"], max_bytes=MAX_BYTES)
    assert "32.0 MB once decompressed" in _field_error(excinfo)
    assert "the maximum decompressed raster size is 16.0 MB" in _field_error(excinfo)


def test_a_single_huge_compressed_block_is_refused():
    data = geotiff(4000, 3000, 1, tiled=False, blockysize=3000, sparse=True)  # one 24 MB strip
    with pytest.raises(ValidationFailed) as excinfo:
        imagery.inspect_upload(data, given_bands=["red"], max_bytes=MAX_BYTES, limits={
            **imagery.DEFAULT_LIMITS, "BLOCK_BYTES": 8 * 1_048_576})  # fmt: skip
    assert _field_error(excinfo).startswith("One block of the raster (4,000x3,000 px) holds 22.9 MB")


def test_reading_an_upload_is_bounded_whatever_it_decompresses_to(tmp_path):
    """An 8192 x 8192 x 2 uint16 file of zeros (256 MB of pixels in ~300 KB) is inspected and thumbnailed
    in a fresh process whose peak memory grows by far less than the pixels (GDAL's default cache alone
    would keep them all)."""
    path = tmp_path / "zeros.tif"
    path.write_bytes(geotiff(8192, 8192, 2, fill=lambda c, h, w: np.zeros((c, h, w), np.uint16)))
    script = textwrap.dedent(
        f"""
        import json
        from custos.modules.pipelines import imagery

        def status(key):
            return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key))

        data = open({str(path)!r}, "rb").read()
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # the peak RSS (VmHWM) starts again from the current RSS
        before = status("VmRSS:")
        info = imagery.inspect_upload(data, given_bands=["red", "nir"], max_bytes=1 << 30)
        thumbnail = info.thumbnail
        print(json.dumps({{"grown_mb": (status("VmHWM:") - before) / 1024, "thumbnail": len(thumbnail)}}))
        """
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings"}
    done = subprocess.run(  # noqa: S603 - this interpreter on a script of ours
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120, env=environment
    )
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["thumbnail"] > 0
    assert outcome["grown_mb"] < 100, outcome  # 256 MB of pixels; GDAL's cache is capped at 32 MB


# --- 3. truncated files ---------------------------------------------------------------------------


@pytest.mark.parametrize("tiled", [True, False])
def test_a_truncated_file_with_an_intact_header_is_a_validation_error(tiled):
    options = {} if tiled else {"tiled": False, "blockysize": 16}
    data = geotiff(512, 512, 3, fill=_random, **options)
    cut = data[: len(data) * 3 // 5]
    with rasterio.io.MemoryFile(cut) as memory, memory.open() as dataset:
        assert (dataset.width, dataset.height) == (512, 512)  # the header still opens
    with pytest.raises(ValidationFailed) as excinfo:
        imagery.inspect_upload(cut, given_bands=BANDS3, max_bytes=MAX_BYTES)
    assert _field_error(excinfo) == (
        f"The file is truncated: it is {len(cut):,} bytes but its image data runs to {len(data):,} bytes."
    )


# --- the upload endpoint (a 400 and nothing stored) -----------------------------------------------


@pytest.fixture
def case():
    return synthetic_case(21, (), size=128)


def _tiff(scene) -> bytes:
    buffer = io.BytesIO()
    write_geotiff(scene, buffer)
    return buffer.getvalue()


def _pipeline(client, case) -> Pipeline:
    route = {"type": "LineString", "coordinates": lonlat_of(case.scene, case.route_px)}
    created = client.post(
        "/api/pipelines/", {"name": "Adriatic", "diameter_mm": 900, "material": "steel", "route": route}, format="json"
    )
    assert created.status_code == 201, created.content
    return Pipeline.objects.get(pk=created.json()["id"])


def _upload(client, pipeline, data: bytes):
    return client.post(
        "/api/satellite-images/",
        {
            "pipeline": str(pipeline.pk),
            "image_date": "2026-06-01T10:00:00Z",
            "satellite_name": "Sentinel-2B",
            "image_file": SimpleUploadedFile("scene.tif", data, content_type="image/tiff"),
        },
        format="multipart",
    )


@pytest.mark.django_db
def test_uploading_a_truncated_or_oversized_raster_is_a_400_and_stores_nothing(case, alice, client_for):
    client = client_for(alice)
    pipeline = _pipeline(client, case)
    whole = _tiff(case.scene)
    truncated = _upload(client, pipeline, whole[: len(whole) * 3 // 4])
    assert truncated.status_code == 400, truncated.content
    assert "truncated" in json.dumps(truncated.json())
    declared = _upload(client, pipeline, geotiff(30000, 30000, 8, dtype="uint8", sparse=True, blockxsize=512))
    assert declared.status_code == 400, declared.content
    assert "the maximum raster size is 121,000,000 px" in json.dumps(declared.json())
    assert SatelliteImage.objects.count() == 0
    accepted = _upload(client, pipeline, whole)
    assert accepted.status_code == 201, accepted.content


@pytest.mark.django_db
def test_another_organization_cannot_upload_to_the_pipeline(case, alice, bob, client_for):
    pipeline = _pipeline(client_for(alice), case)
    response = _upload(client_for(bob), pipeline, _tiff(case.scene))
    assert response.status_code == 400, response.content  # not a pipeline bob can see
    assert list(response.json()) == ["pipeline"]
    assert SatelliteImage.objects.count() == 0


# --- 4. analysis reads only the corridor, tile by tile, with the same results --------------------


def legacy_scene(data: bytes, *, bands, route_lonlat, buffer_m) -> tuple[Scene, list[tuple[float, float]]]:
    """The whole corridor window of every band, as ``read_corridor`` read it before (the reference)."""
    with rasterio.io.MemoryFile(data) as memory, memory.open() as dataset:
        xs, ys = Transformer.from_crs("EPSG:4326", dataset.crs, always_xy=True).transform(
            [p[0] for p in route_lonlat], [p[1] for p in route_lonlat]
        )
        pixel_m = imagery._pixel_size_m(dataset)
        pad = (buffer_m / pixel_m + 2) * abs(dataset.transform.a)
        window = from_bounds(min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad, dataset.transform)
        window = window.round_offsets().round_lengths().intersection(Window(0, 0, dataset.width, dataset.height))
        arrays = dataset.read(window=window).astype(np.float32)
        transform = dataset.window_transform(window)
    physical = {}
    for index, name in enumerate(bands):
        values = arrays[index]
        if name in imagery.SPECTRAL and np.nanmax(values) > 1.5:
            values /= np.float32(10000.0)
        physical[name] = values
    inverse = ~transform
    route_px = [tuple(reversed(inverse @ (x, y))) for x, y in zip(xs, ys, strict=True)]
    return Scene(physical, transform, "EPSG:32633", pixel_m), [(r - 0.5, c - 0.5) for r, c in route_px]


def _summary(detections):
    return [(d.analysis_type, d.confidence, d.severity, d.centroid_px, d.area_px, d.statistics) for d in detections]


@pytest.mark.parametrize("scaled", [False, True])
def test_the_corridor_read_gives_the_same_detections_as_the_whole_window(scaled, monkeypatch):
    case = synthetic_case(7, ("leak_detection", "vegetation_encroachment", "thermal_anomaly"), size=700)
    scene = case.scene
    if scaled:  # Sentinel-2 L2A style: reflectance x 10000 as uint16 (thermal and displacement dropped)
        bands = {n: np.round(v * 10000).astype(np.float32) for n, v in scene.bands.items() if n in imagery.SPECTRAL}
        scene = Scene(bands, scene.transform, scene.crs, scene.pixel_size_m)
    data = _tiff(scene)
    route = lonlat_of(case.scene, case.route_px)
    monkeypatch.setattr(imagery, "READ_TILE_PX", 128, raising=False)  # many tiles on a small scene
    read = imagery.read_corridor(
        io.BytesIO(data), bands=list(scene.bands), route_lonlat=route, facilities_lonlat=[], buffer_m=300.0
    )
    reference, route_px = legacy_scene(data, bands=list(scene.bands), route_lonlat=route, buffer_m=300.0)
    assert read.route_px == route_px
    assert read.scene.shape == reference.shape
    corridor = corridor_from_route(read.scene.shape, read.route_px, pixel_size_m=10.0, buffer_m=300.0)
    assert np.array_equal(corridor.rows, read.corridor.rows) and np.array_equal(corridor.cols, read.corridor.cols)
    for name, values in read.scene.bands.items():  # every corridor pixel, bit for bit
        assert values.dtype == np.float32 and values.shape == (corridor.size,)
        assert np.array_equal(values, reference.bands[name][corridor.rows, corridor.cols])
    found = analyze_scene(read.scene, corridor)
    assert len(found) == (2 if scaled else 3)
    assert _summary(found) == _summary(analyze_scene(reference, corridor))


def test_the_previous_image_and_subsets_are_gathered_from_the_corridor_pixels():
    case = synthetic_case(11, ("construction_activity",), size=300)
    route = lonlat_of(case.scene, case.route_px)
    kwargs = {"bands": list(case.scene.bands), "route_lonlat": route, "facilities_lonlat": [], "buffer_m": 300.0}
    now = imagery.read_corridor(io.BytesIO(_tiff(case.scene)), **kwargs)
    before = imagery.read_corridor(io.BytesIO(_tiff(case.previous)), **kwargs)
    found = analyze_scene(now.scene, now.corridor, previous=before.scene)
    assert [d.analysis_type for d in found] == ["construction_activity"]
    some = slice(5, 50)
    subset = now.scene.gather(now.corridor.rows[some], now.corridor.cols[some])
    assert np.array_equal(subset["red"], now.scene.bands["red"][some])
    outside = np.array([0], np.int32)
    assert not ((now.corridor.rows == 0) & (now.corridor.cols == 0)).any()
    with pytest.raises(ValueError, match="outside the corridor"):
        now.scene.gather(outside, outside)


def test_the_corridor_read_allocates_the_corridor_not_the_window():
    """A 3000 x 3000 x 4 float32 raster (144 MB of pixels, blocks absent) with a diagonal route: the window
    is the whole raster; the read allocates a few MB (the old read took the whole window)."""
    data = geotiff(3000, 3000, 4, dtype="float32", sparse=True)
    grid = Scene({}, UTM, "EPSG:32633", 10.0)
    route = lonlat_of(grid, [(10.0, 10.0), (2990.0, 2990.0)])
    tracemalloc.start()
    try:
        read = imagery.read_corridor(
            io.BytesIO(data),
            bands=["blue", "green", "red", "nir"],
            route_lonlat=route,
            facilities_lonlat=[],
            buffer_m=100.0,
        )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read.scene.shape[0] * read.scene.shape[1] > 8_900_000
    assert peak < 16 * 1_048_576, peak / 1_048_576
    assert isinstance(read.scene, CorridorScene) and read.corridor.size < 100_000


# --- 5. images outside the corridor ---------------------------------------------------------------


def test_an_image_away_from_the_route_is_a_clear_domain_error_not_a_window_error():
    case = synthetic_case(3, (), size=128)
    far = lonlat_of(case.scene, [(5000.0, 5000.0), (5200.0, 5300.0)])  # 50 km away
    with pytest.raises(imagery.NoCorridorPixels) as excinfo:
        imagery.read_corridor(
            io.BytesIO(_tiff(case.scene)), bands=list(case.scene.bands), route_lonlat=far, facilities_lonlat=[],
            buffer_m=300.0,
        )  # fmt: skip
    assert isinstance(excinfo.value, ValidationFailed) and isinstance(excinfo.value, ValueError)
    assert excinfo.value.field_errors == {
        "image_file": ["The image does not reach the pipeline corridor (the route plus 300 m)."]
    }


def test_a_window_without_corridor_pixels_is_the_same_domain_error():
    case = synthetic_case(3, (), size=128)
    # the route passes 64 m off the corner pixel: the padded window overlaps the raster, no pixel is within 40 m
    near = lonlat_of(case.scene, [(-10.0, 126.0), (-2.0, 134.0)])
    with pytest.raises(imagery.NoCorridorPixels, match="holds no pixel of the pipeline corridor"):
        imagery.read_corridor(
            io.BytesIO(_tiff(case.scene)), bands=list(case.scene.bands), route_lonlat=near, facilities_lonlat=[],
            buffer_m=40.0,
        )  # fmt: skip


def test_covers_corridor_from_the_upload_info_or_from_bounds():
    case = synthetic_case(3, (), size=128)
    info = imagery.inspect_upload(_tiff(case.scene), given_bands=None, max_bytes=MAX_BYTES)
    inside = {"type": "LineString", "coordinates": lonlat_of(case.scene, case.route_px)}
    beside = lonlat_of(case.scene, [(0.0, 147.5), (127.0, 147.5)])  # 200 m east of the last pixel centre
    far = lonlat_of(case.scene, [(5000.0, 5000.0), (5200.0, 5300.0)])
    assert imagery.covers_corridor(info, inside, 300.0) is True
    assert imagery.covers_corridor(info.bounds, inside, 300.0) is True
    assert imagery.covers_corridor(info, beside, 250.0) is True
    assert imagery.covers_corridor(info, beside, 150.0) is False
    assert imagery.covers_corridor(info, far, 300.0) is False
    assert imagery.covers_corridor(info.bounds, far, 300.0) is False
    assert imagery.covers_corridor(info, [[15.0, 40.0]], 300.0) is False  # not a route
    with pytest.raises(imagery.NoCorridorPixels) as excinfo:
        imagery.require_corridor(info, far, 300.0)
    assert excinfo.value.field_errors["image_file"] == [
        "The image does not cover the pipeline corridor (the route plus 300 m); nothing in it could be analysed."
    ]
    kwargs = {"bands": info.bands, "facilities_lonlat": [], "route_lonlat": beside}
    assert imagery.read_corridor(io.BytesIO(_tiff(case.scene)), buffer_m=250.0, **kwargs).corridor.size > 0
    with pytest.raises(imagery.NoCorridorPixels):
        imagery.read_corridor(io.BytesIO(_tiff(case.scene)), buffer_m=150.0, **kwargs)
