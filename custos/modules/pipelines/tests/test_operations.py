"""The pipeline document's background tasks: imagery sources (synthetic, STAC), persistence of anomalies,
health, retention, digests, reports and exports."""

from __future__ import annotations

import csv
import io
import json
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from custos.alerts.models import Alert
from custos.modules.pipelines import operations
from custos.modules.pipelines.analysis.synthetic import lonlat_of, synthetic_case
from custos.modules.pipelines.models import AnalysisResult, MonitoringConfiguration, Pipeline, SatelliteImage
from custos.modules.pipelines.sources import utm_crs
from custos.ops.models import SystemSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    return synthetic_case(31, ("leak_detection", "vegetation_encroachment"), size=128)


@pytest.fixture
def pipeline(case, org_a):
    coords = lonlat_of(case.scene, case.route_px)
    lons, lats = [c[0] for c in coords], [c[1] for c in coords]
    return Pipeline.objects.create(
        organization=org_a,
        name="Ionian",
        length_km=1.3,
        diameter_mm=500,
        material="steel",
        route={"type": "LineString", "coordinates": coords},
        min_lon=min(lons),
        max_lon=max(lons),
        min_lat=min(lats),
        max_lat=max(lats),
    )


def _configure(pipeline, **values):
    return MonitoringConfiguration.objects.create(
        organization=pipeline.organization,
        pipeline=pipeline,
        notification_emails=["ops@northwind.example"],
        **values,
    )


def test_the_periodic_schedule_is_in_the_database():
    tasks = dict(PeriodicTask.objects.filter(task__startswith="pipelines.").values_list("task", "interval__every"))
    assert tasks == {
        "pipelines.fetch_satellite_imagery_periodic": 1,
        "pipelines.analyze_images_periodic": 6,
        "pipelines.detect_anomalies_periodic": 1,
        "pipelines.cleanup_old_data": 7,
        "pipelines.send_alert_notifications": 4,
        "pipelines.generate_daily_report": 1,
        "pipelines.update_pipeline_health_scores": 1,
    }


def test_synthetic_source_is_deterministic_and_analysed(pipeline, run_jobs_inline, django_capture_on_commit_callbacks):
    _configure(pipeline, imagery_source="synthetic")
    day = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        first = operations.pipeline_fetch_imagery(pipeline_id=pipeline.pk, when=day - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        second = operations.pipeline_fetch_imagery(pipeline_id=pipeline.pk, when=day)
    assert (first["created"], second["created"]) == (1, 1)
    again = operations.pipeline_fetch_imagery(pipeline_id=pipeline.pk, when=day)
    assert again["created"] == 0, "the same scene is not stored twice"
    images = list(SatelliteImage.objects.order_by("image_date"))
    assert [i.processing_status for i in images] == ["completed", "completed"]
    assert images[0].crs == utm_crs(pipeline.route["coordinates"][0][0], pipeline.route["coordinates"][0][1])
    injected = images[1].metadata["injected"]
    found = sorted(
        set(AnalysisResult.objects.filter(satellite_image=images[1]).values_list("analysis_type", flat=True))
    )
    assert found == sorted(injected)
    assert MonitoringConfiguration.objects.get().last_fetched_at == day
    assert operations.pipelines_due_for_imagery(now=day + timedelta(hours=1)) == []
    assert operations.pipelines_due_for_imagery(now=day + timedelta(hours=25)) == [str(pipeline.pk)]


def test_no_source_configured_fetches_nothing(pipeline):
    assert operations.pipeline_fetch_imagery(pipeline_id=pipeline.pk)["created"] == 0
    assert SatelliteImage.objects.count() == 0


# --- STAC --------------------------------------------------------------------------------------------


def _single_band(scene, name: str) -> bytes:
    import rasterio

    buffer = io.BytesIO()
    with rasterio.open(
        buffer, "w", driver="GTiff", width=scene.shape[1], height=scene.shape[0], count=1, dtype="uint16",
        crs=scene.crs, transform=scene.transform, tiled=True, blockxsize=64, blockysize=64,
    ) as dataset:  # fmt: skip
        dataset.write((scene.bands[name] * 10000).clip(0, 65535).astype("uint16"), 1)
    return buffer.getvalue()


class StacServer(ThreadingHTTPServer):
    server_address: tuple[str, int]  # an AF_INET server
    searches: list[dict]


class StacStandIn(BaseHTTPRequestHandler):
    server: StacServer
    files: dict[str, bytes] = {}
    items: list[dict] = []
    ranges: list[str] = []

    def _json(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _base(self) -> str:
        return f"http://{self.server.server_address[0]}:{self.server.server_address[1]}"

    def _landing(self) -> None:
        base = self._base()
        self._json({
            "type": "Catalog", "id": "stand-in", "description": "local STAC API", "stac_version": "1.0.0",
            "conformsTo": ["https://api.stacspec.org/v1.0.0/core", "https://api.stacspec.org/v1.0.0/item-search"],
            "links": [
                {"rel": "self", "href": f"{base}/", "type": "application/json"},
                {"rel": "root", "href": f"{base}/", "type": "application/json"},
                {"rel": "search", "href": f"{base}/search", "type": "application/geo+json", "method": "POST"},
            ],
        })  # fmt: skip

    def _file(self, head: bool) -> None:
        data = self.files.get(self.path)
        if data is None:
            self.send_response(404)
            self.end_headers()
            return
        header = self.headers.get("Range")
        start, end = 0, len(data) - 1
        if header and header.startswith("bytes="):
            self.ranges.append(header)
            first, _, last = header[6:].partition("-")
            start, end = int(first), min(int(last) if last else len(data) - 1, len(data) - 1)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Content-Type", "image/tiff")
        self.end_headers()
        if not head:
            self.wfile.write(data[start : end + 1])

    def do_GET(self) -> None:
        if self.path in {"/", ""}:
            self._landing()
        elif self.path.startswith("/search"):
            self._json({"type": "FeatureCollection", "features": self.items, "links": []})
        else:
            self._file(head=False)

    def do_HEAD(self) -> None:
        self._file(head=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.server.searches.append(json.loads(self.rfile.read(length) or b"{}"))
        self._json({"type": "FeatureCollection", "features": self.items, "links": []})

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def stac(case):
    server = StacServer(("127.0.0.1", 0), StacStandIn)
    server.searches = []
    base = f"http://127.0.0.1:{server.server_address[1]}"
    names = ("blue", "green", "red", "nir", "swir16", "swir22")
    StacStandIn.files = {f"/cog/{name}.tif": _single_band(case.scene, name) for name in names}
    StacStandIn.ranges = []
    (west, north), (east, south) = lonlat_of(case.scene, [(0, 0), (127, 127)])
    ring = [[west, north], [east, north], [east, south], [west, south], [west, north]]

    def asset(name: str, common_name: str | None = None) -> dict:
        body: dict[str, Any] = {"href": f"{base}/cog/{name}.tif", "type": "image/tiff"}
        if common_name:
            body["eo:bands"] = [{"name": name, "common_name": common_name}]
        return body

    properties = {"datetime": "2026-06-02T10:00:00Z", "platform": "sentinel-2b", "instruments": ["msi"]}
    StacStandIn.items = [
        {
            "type": "Feature",
            "stac_version": "1.0.0",
            "id": "S2B_T33_20260602",
            "collection": "sentinel-2-l2a",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "bbox": [west, south, east, north],
            "properties": {**properties, "eo:cloud_cover": 4.0},
            "links": [],
            "assets": {
                "blue": asset("blue"),
                "B03": {"href": f"{base}/cog/green.tif", "type": "image/tiff"},
                "red": asset("red"),
                "nir08": {"href": f"{base}/cog/nir.tif", "type": "image/tiff"},
                "B11": asset("swir16", "swir16"),
                "band12": asset("swir22", "swir22"),
                "thumbnail": {"href": f"{base}/thumb.png", "type": "image/png"},
            },
        }
    ]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, base
    server.shutdown()
    server.server_close()


def test_stac_source_reads_the_corridor_window_of_each_band(pipeline, stac, case):
    server, base = stac
    _configure(
        pipeline, imagery_source="stac", stac_api_url=f"{base}/", stac_collection="sentinel-2-l2a", auto_analysis=False
    )
    outcome = operations.pipeline_fetch_imagery(pipeline_id=pipeline.pk, when=timezone.now())
    assert outcome["created"] == 1
    image = SatelliteImage.objects.get()
    assert (image.satellite_name, image.sensor, image.source_api) == ("sentinel-2b", "msi", "stac")
    assert image.bands == ["blue", "green", "red", "nir", "swir16", "swir22"]
    assert image.metadata["stac_item"] == "S2B_T33_20260602"
    search = server.searches[0]
    assert search["collections"] == ["sentinel-2-l2a"]
    assert search["bbox"][0] < pipeline.min_lon and search["bbox"][2] > pipeline.max_lon
    assert StacStandIn.ranges, "the COGs were read with HTTP range requests"
    result = operations.images_process_batch(image_ids=[image.pk])
    assert result["completed"] == 1
    found = set(AnalysisResult.objects.values_list("analysis_type", flat=True))
    assert found == {"leak_detection", "vegetation_encroachment"}


# --- over time, health, retention, mail, reports, exports ------------------------------------------


def _result(pipeline, image_date, point, analysis_type="corrosion_detection", severity="medium", status="pending"):
    image = SatelliteImage.objects.create(
        organization=pipeline.organization,
        pipeline=pipeline,
        image_date=image_date,
        satellite_name=f"S-{uuid.uuid4().hex[:8]}",
        resolution_m=10,
        processing_status="completed",
    )
    return AnalysisResult.objects.create(
        organization=pipeline.organization,
        satellite_image=image,
        analysis_type=analysis_type,
        confidence_score=0.8,
        severity=severity,
        status=status,
        detected_location={"type": "Point", "coordinates": point},
    )


def test_recurring_findings_raise_one_maintenance_alert(pipeline):
    now = timezone.now()
    base = pipeline.route["coordinates"][1]
    for days, shift in ((30, 0.0), (20, 0.0001), (10, -0.0001)):
        _result(
            pipeline,
            now - timedelta(days=days),
            [base[0] + shift, base[1]],
            severity="high" if days == 20 else "medium",
        )
    _result(pipeline, now - timedelta(days=5), [base[0] + 0.01, base[1]])  # 800 m away: another place
    outcome = operations.pipeline_detect_anomalies(pipeline_id=pipeline.pk)
    assert (outcome["persistent"], outcome["alerts_raised"]) == (1, 1)
    alert = Alert.objects.get()
    assert (alert.alert_type, alert.severity) == ("maintenance_required", "high")
    assert "seen on 3 images within 50 m" in alert.message
    assert operations.pipeline_detect_anomalies(pipeline_id=pipeline.pk)["alerts_raised"] == 0


def test_health_scores_are_stored(pipeline):
    _result(pipeline, timezone.now(), [15.0, 40.6], severity="critical")
    assert operations.pipelines_update_health() == {str(pipeline.pk): "critical"}
    pipeline.refresh_from_db()
    assert pipeline.health_status == "critical" and pipeline.health_updated_at is not None


def test_cleanup_follows_the_retention_settings(pipeline):
    system = SystemSettings.load()
    system.image_retention_days = 30
    system.data_retention_days = 60
    system.save()
    now = timezone.now()
    old_closed = _result(pipeline, now - timedelta(days=100), [15.0, 40.6], status="false_positive")
    old_open = _result(pipeline, now - timedelta(days=100), [15.0, 40.6], status="pending")
    AnalysisResult.objects.filter(pk__in=[old_closed.pk, old_open.pk]).update(created_at=now - timedelta(days=100))
    recent = _result(pipeline, now - timedelta(days=1), [15.0, 40.6])
    counts = operations.cleanup_old_data(now=now)
    assert counts == {"images": 1, "results": 1, "alerts": 0, "files": 0}
    assert set(AnalysisResult.objects.values_list("pk", flat=True)) == {old_open.pk, recent.pk}


def test_digest_and_daily_report_and_export(pipeline):
    result = _result(pipeline, timezone.now(), [15.0, 40.6], severity="critical")
    Alert.objects.create(
        organization=pipeline.organization, source="pipeline", alert_type="leak_detected", severity="critical",
        title="Leak on Ionian", message="dark spot", recipients=["ops@northwind.example"],
        data={"pipeline_id": str(pipeline.pk)},
    )  # fmt: skip
    assert operations.send_alert_digest() == 1
    assert mail.outbox[-1].subject.endswith("1 open pipeline alert(s)")
    assert "[CRITICAL] Leak on Ionian" in mail.outbox[-1].body

    [path] = operations.daily_report()
    rows = list(csv.reader(io.StringIO(default_storage.open(path).read().decode())))
    assert rows == [
        ["pipeline", "status", "health", "images_24h", "findings_24h", "critical_24h", "open_alerts"],
        ["Ionian", "active", "unknown", "1", "1", "1", "1"],
    ]

    name = operations.export_monitoring_data(pipeline_id=pipeline.pk, fmt="geojson")
    collection = json.loads(default_storage.open(name).read())
    assert collection["features"][0]["properties"]["id"] == str(result.pk)
    assert collection["features"][0]["geometry"] == {"type": "Point", "coordinates": [15.0, 40.6]}
    csv_name = operations.export_monitoring_data(pipeline_id=pipeline.pk, fmt="csv")
    assert default_storage.open(csv_name).read().decode().splitlines()[1].endswith(",15.0,40.6")
    from custos.kernel.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        operations.export_monitoring_data(pipeline_id=pipeline.pk, fmt="xlsx")
