"""Where satellite images come from, behind one interface: ``fetch(...) -> list[FetchedImage]``.

* ``upload``: a person posts a GeoTIFF (``services.image_create``); not fetched.
* ``stac``: a STAC API searched with pystac-client by the corridor's bounding box and a date range;
  only the corridor window of each band's Cloud-Optimized GeoTIFF is read (HTTP range requests), and
  the bands are stacked on the grid of the first one.
* ``synthetic``: deterministic scenes over the pipeline's real route (by pipeline and date), with
  anomalies injected, for demonstrations and benchmarks.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from pyproj import Transformer
from rasterio.enums import Resampling
from rasterio.warp import transform_bounds
from rasterio.windows import from_bounds

from custos.modules.pipelines.analysis.scene import BAND_NAMES, Scene
from custos.modules.pipelines.analysis.synthetic import ANOMALY_TYPES, synthetic_case, write_geotiff
from custos.modules.pipelines.imagery import GDAL_READ_CACHE_MB, _band_name

GDAL_HTTP = {
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif,.tiff,.TIF",
    "GDAL_CACHEMAX": GDAL_READ_CACHE_MB,  # GDAL's block cache is bounded here too (default: 5 % of RAM)
}
MAX_SYNTHETIC_PX = 1200


@dataclass
class FetchedImage:
    image_date: datetime
    satellite_name: str
    sensor: str
    source_api: str
    geotiff: bytes
    bands: list[str]
    metadata: dict[str, Any] = field(default_factory=dict)


def utm_crs(lon: float, lat: float) -> str:
    zone = min(int((lon + 180) // 6) + 1, 60)
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def _stable_seed(*parts: Any) -> int:
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") % (2**32)


class SyntheticSource:
    name = "synthetic"

    def fetch(self, *, pipeline: Any, configuration: Any, when: datetime) -> list[FetchedImage]:
        coords = pipeline.route["coordinates"]
        lons, lats = [c[0] for c in coords], [c[1] for c in coords]
        crs = utm_crs(sum(lons) / len(lons), sum(lats) / len(lats))
        xs, ys = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lons, lats)
        margin = configuration.buffer_m + 200.0
        west, east, south, north = min(xs) - margin, max(xs) + margin, min(ys) - margin, max(ys) + margin
        pixel = max(10.0, math.ceil(max(east - west, north - south) / MAX_SYNTHETIC_PX))
        shape = (math.ceil((north - south) / pixel), math.ceil((east - west) / pixel))
        transform = Affine(pixel, 0, west, 0, -pixel, north)
        route_px = [((north - y) / pixel - 0.5, (x - west) / pixel - 0.5) for x, y in zip(xs, ys, strict=True)]
        seed = _stable_seed(pipeline.pk, when.date().isoformat())
        chooser = np.random.default_rng(seed)
        count = int(chooser.integers(0, 3))
        candidates = [t for t in ANOMALY_TYPES if t != "equipment_damage" or configuration.facility_points]
        anomalies = tuple(chooser.choice(candidates, size=count, replace=False)) if count else ()
        case = synthetic_case(
            seed,
            anomalies,
            pixel_size_m=pixel,
            buffer_m=configuration.buffer_m,
            route_px=route_px,
            shape=shape,
            transform=transform,
            crs=crs,
            landscape_seed=_stable_seed(pipeline.pk, "landscape"),
        )
        return [
            FetchedImage(
                image_date=when,
                satellite_name="Custos-Synthetic",
                sensor="SIM-8",
                source_api=self.name,
                geotiff=_geotiff_bytes(case.scene),
                bands=list(case.scene.bands),
                metadata={"seed": seed, "injected": list(anomalies), "pixel_size_m": pixel},
            )
        ]


def _geotiff_bytes(scene: Scene) -> bytes:
    buffer = io.BytesIO()
    write_geotiff(scene, buffer)
    return buffer.getvalue()


def _asset_band(key: str, asset: Any) -> str | None:
    name = _band_name(key)
    if name:
        return name
    for band in asset.extra_fields.get("eo:bands", []) or []:
        name = _band_name(band.get("common_name")) or _band_name(band.get("name"))
        if name:
            return name
    return None


class StacSource:
    """Search a STAC API and read the corridor window of each band asset."""

    name = "stac"

    def __init__(self, *, url: str, collection: str = "", max_cloud_cover: float = 100.0, max_items: int = 10):
        self.url = url
        self.collection = collection
        self.max_cloud_cover = max_cloud_cover
        self.max_items = max_items

    def fetch(self, *, pipeline: Any, configuration: Any, since: datetime, until: datetime) -> list[FetchedImage]:
        from pystac_client import Client

        pad_deg = configuration.buffer_m / 111_320.0 * 2
        bbox = [
            pipeline.min_lon - pad_deg,
            pipeline.min_lat - pad_deg,
            pipeline.max_lon + pad_deg,
            pipeline.max_lat + pad_deg,
        ]
        client = Client.open(self.url)
        search = client.search(
            collections=[self.collection] if self.collection else None,
            bbox=bbox,
            datetime=[since, until],
            max_items=self.max_items,
        )
        fetched = []
        for item in search.items():
            cloud = item.properties.get("eo:cloud_cover")
            if cloud is not None and cloud > self.max_cloud_cover:
                continue
            bands = {}
            for key, asset in item.assets.items():
                name = _asset_band(key, asset)
                if name and name not in bands:
                    bands[name] = asset.href
            if not bands:
                continue
            ordered = [name for name in BAND_NAMES if name in bands]
            geotiff = self._corridor_stack([bands[name] for name in ordered], ordered, bbox)
            fetched.append(
                FetchedImage(
                    image_date=item.datetime or since,
                    satellite_name=str(item.properties.get("platform") or item.collection_id or "stac"),
                    sensor=str((item.properties.get("instruments") or [""])[0]),
                    source_api=self.name,
                    geotiff=geotiff,
                    bands=ordered,
                    metadata={"stac_item": item.id, "stac_api": self.url, "cloud_cover": cloud},
                )
            )
        return fetched

    def _corridor_stack(self, hrefs: list[str], names: list[str], bbox: list[float]) -> bytes:
        """The bbox window of the first band defines the grid; the other bands are read onto it."""
        with rasterio.Env(**GDAL_HTTP):
            with rasterio.open(hrefs[0]) as reference:
                bounds = transform_bounds("EPSG:4326", reference.crs, *bbox)
                window = from_bounds(*bounds, transform=reference.transform).round_offsets().round_lengths()
                window = window.intersection(rasterio.windows.Window(0, 0, reference.width, reference.height))
                first = reference.read(1, window=window)
                transform = reference.window_transform(window)
                crs = reference.crs
                area = rasterio.windows.bounds(window, reference.transform)
            arrays = [first]
            for href in hrefs[1:]:
                with rasterio.open(href) as dataset:
                    other = from_bounds(*transform_bounds(crs, dataset.crs, *area), transform=dataset.transform)
                    arrays.append(
                        dataset.read(
                            1, window=other, out_shape=first.shape, resampling=Resampling.bilinear, boundless=True
                        )
                    )
        scene = Scene(
            {name: array.astype(np.float32) for name, array in zip(names, arrays, strict=True)},
            transform,
            crs.to_string(),
            abs(transform.a),
        )
        return _geotiff_bytes(scene)


def source_for(configuration: Any) -> Any:
    if configuration.imagery_source == "synthetic":
        return SyntheticSource()
    if configuration.imagery_source == "stac":
        return StacSource(
            url=configuration.stac_api_url,
            collection=configuration.stac_collection,
            max_cloud_cover=configuration.max_cloud_cover,
        )
    return None
