"""Fresh objects for the conformance suite, made through the live server's own API.

A test that changes an object's state (an approval, a resolution, a deletion) works on an object it has
just made here, never on one another test may also use: the suite passes in any order and on any
number of xdist workers (each worker has its own server). Every maker returns the id of the new object
(or a dict of ids), and fails the test with the server's answer when the API refuses to make it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import re
import time
import types
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conformance.live import DEMO_PASSWORD, Api, items_of

OWNER = "OWNER"
OWNER_EMAIL = "owner.northwind@example.com"
WEBHOOK_SECRET = "whsec_conformance"


@dataclass
class Multipart:
    """A multipart body: form fields and files (``name: (filename, bytes, content type)``)."""

    data: dict[str, Any]
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)


def tag() -> str:
    return uuid.uuid4().hex[:10]


def ok(answer: Any, what: str) -> Any:
    if answer.status_code not in (200, 201, 202):
        pytest.fail(f"making {what}: {answer.status_code} {answer.text[:300]}")
    return answer.json() if answer.content else None


def data_of(payload: Any) -> Any:
    """The object of a single-object answer (the sqal dialect wraps it in ``{data, message}``)."""
    if isinstance(payload, dict) and isinstance(payload.get("data"), dict):
        return payload["data"]
    return payload


def post(api: Api, path: str, body: Any, what: str, persona: str = OWNER) -> dict[str, Any]:
    if isinstance(body, Multipart):
        answer = api.call("POST", path, persona, data=body.data, files=body.files)
    else:
        answer = api.call("POST", path, persona, body)
    return data_of(ok(answer, what))


def first(api: Api, path: str, persona: str = OWNER, **match: Any) -> dict[str, Any]:
    answer = ok(api.call("GET", path, persona), path)
    for item in items_of(answer):
        if all(item.get(key) == value for key, value in match.items()):
            return item
    pytest.fail(f"{path} lists nothing matching {match}")


def once(api: Api, key: str, make: Any) -> Any:
    """A value made once per session (per worker) and kept on the client."""
    if key not in api.ids:
        api.ids[key] = make()
    return api.ids[key]


def wait(api: Api, path: str, done: Any, what: str, timeout: float = 90, persona: str = OWNER) -> dict[str, Any]:
    """Poll ``path`` until ``done(object)``; the object."""
    deadline = time.monotonic() + timeout
    while True:
        current = data_of(ok(api.call("GET", path, persona), path))
        if done(current):
            return current
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not done in {timeout}s: {str(current)[:300]}")
        time.sleep(0.3)


# --- identity ----------------------------------------------------------------------------------------


def me(api: Api, persona: str = OWNER) -> str:
    return once(api, f"me:{persona}", lambda: str(ok(api.call("GET", "/api/users/me/", persona), "me")["id"]))


def organization(api: Api) -> str:
    def find() -> str:
        for item in items_of(ok(api.call("GET", "/api/organizations/", OWNER), "organizations")):
            if item.get("slug") == "northwind-energy":
                return str(item["id"])
        pytest.fail("the demo organization northwind-energy is not listed")

    return once(api, "organization", find)


def jwt_pair(api: Api, email: str = OWNER_EMAIL, password: str = DEMO_PASSWORD) -> dict[str, str]:
    return ok(api.http.post("/api/auth/jwt/create/", json={"email": email, "password": password}), "a JWT pair")


def mail_tokens(api: Api, address: str, timeout: float = 20) -> tuple[str, str]:
    """``(uid, token)`` from the newest mail the server wrote (file backend) to ``address``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(api.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True):
            text = path.read_text(encoding="utf-8", errors="replace")
            if address not in text:
                continue
            uid = re.search(r"uid[=:]\s*([A-Za-z0-9_-]+)", text)
            token = re.search(r"token[=:]\s*([A-Za-z0-9_:.-]+)", text)
            if uid and token:
                return uid.group(1), token.group(1)
        time.sleep(0.2)
    pytest.fail(f"no mail with a uid and token to {address} in {api.mail_dir}")


def new_user(api: Api) -> str:
    made = post(api, "/api/admin/users/", {"email": f"made-{tag()}@example.com"}, "a user", "staff")
    return str(made["id"])


# --- pipeline ------------------------------------------------------------------------------------------


def new_pipeline(api: Api) -> str:
    body = {
        "name": f"Conformance line {tag()}",
        "length_km": 1.9,  # >= the 1.885 km chord; a PUT of the stored LineString must be within 5 %
        "diameter_mm": 400,
        "material": "steel",
        "start_lat": 40.600,
        "start_lon": 15.300,
        "end_lat": 40.610,
        "end_lon": 15.318,
    }
    return str(post(api, "/api/pipelines/", body, "a pipeline")["id"])


def geotiff_for(api: Api, pipeline_id: str, when: datetime) -> bytes:
    """A synthetic multispectral GeoTIFF over the pipeline's corridor (the demo's own source)."""
    from custos.modules.pipelines.sources import SyntheticSource

    pipeline = ok(api.call("GET", f"/api/pipelines/{pipeline_id}/", OWNER), "the pipeline")
    fake = types.SimpleNamespace(pk=pipeline_id, route=pipeline["route"])
    configuration = types.SimpleNamespace(buffer_m=300.0, facility_points=[])
    return SyntheticSource().fetch(pipeline=fake, configuration=configuration, when=when)[0].geotiff


def quiet_pipeline(api: Api) -> str:
    """The session's pipeline for images and segments, configured with ``auto_analysis`` off: an upload
    queues no analysis job (the analysis routes start theirs explicitly)."""

    def make() -> str:
        pipeline = new_pipeline(api)
        post(api, "/api/configurations/", {"pipeline": pipeline, "auto_analysis": False}, "a configuration")
        return pipeline

    return str(once(api, "conformance-pipeline", make))


def image_body(api: Api) -> Multipart:
    pipeline = quiet_pipeline(api)
    when = datetime(2026, 1, 1, 10, tzinfo=UTC) + timedelta(minutes=int(uuid.uuid4().int % 500_000))
    raster = once(api, "conformance-geotiff", lambda: geotiff_for(api, pipeline, when))
    fields = {
        "pipeline": pipeline,
        "image_date": when.isoformat().replace("+00:00", "Z"),
        "satellite_name": f"Conformance-{tag()}",
        "sensor": "SIM-8",
    }
    return Multipart(fields, {"image_file": ("scene.tif", raster, "image/tiff")})


def new_image(api: Api) -> str:
    return str(post(api, "/api/satellite-images/", image_body(api), "a satellite image")["id"])


def demo_image(api: Api) -> str:
    return once(api, "demo-image", lambda: str(first(api, "/api/satellite-images/")["id"]))


def result_body(api: Api) -> dict[str, Any]:
    return {
        "satellite_image": demo_image(api),
        "analysis_type": "leak_detection",
        "confidence_score": 0.9,
        "severity": "high",
        "description": "Made by the conformance suite.",
        "detected_lat": 40.605,
        "detected_lon": 15.31,
    }


def new_result(api: Api) -> str:
    return str(post(api, "/api/analysis-results/", result_body(api), "an analysis result")["id"])


def alert_body(api: Api) -> dict[str, Any]:
    return {
        "analysis_result": new_result(api),
        "alert_type": "leak_detected",
        "priority": "high",
        "message": "Made by the conformance suite.",
    }


def new_alert(api: Api) -> str:
    return str(post(api, "/api/alerts/", alert_body(api), "an alert")["id"])


def segment_body(api: Api) -> dict[str, Any]:
    return {
        "pipeline": quiet_pipeline(api),
        "segment_name": f"Segment {tag()}",
        "segment_number": int(uuid.uuid4().int % 1_000_000) + 1,
        "length_km": 0.5,
        "terrain_type": "rural",
        "start_lat": 40.600,
        "start_lon": 15.300,
        "end_lat": 40.603,
        "end_lon": 15.305,
    }


def new_segment(api: Api) -> str:
    return str(post(api, "/api/segments/", segment_body(api), "a segment")["id"])


def configuration_body(api: Api) -> dict[str, Any]:
    return {"pipeline": new_pipeline(api), "confidence_threshold": 0.75}


def new_configuration(api: Api) -> str:
    return str(post(api, "/api/configurations/", configuration_body(api), "a configuration")["id"])


# --- access ----------------------------------------------------------------------------------------------


def png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def device_body() -> dict[str, Any]:
    return {"device_type": "desktop", "device_name": f"Conformance {tag()}", "place": "Lab"}


def new_logged_device(api: Api) -> str:
    return str(post(api, "/api/access/logged-devices/", device_body(), "a logged device")["id"])


def stripe_event(secret: str = WEBHOOK_SECRET) -> tuple[bytes, dict[str, str]]:
    """A ``checkout.session.completed`` event signed as Stripe signs (``t=...,v1=HMAC-SHA256``)."""
    event = {
        "id": f"evt_conformance_{tag()}",
        "object": "event",
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": f"cs_conformance_{tag()}",
                "object": "checkout.session",
                "mode": "payment",
                "payment_status": "paid",
                "metadata": {},
            }
        },
    }
    payload = json.dumps(event).encode()
    stamp = str(int(time.time()))
    signature = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, {"Stripe-Signature": f"t={stamp},v1={signature}", "Content-Type": "application/json"}


# --- twin --------------------------------------------------------------------------------------------------


def new_task(api: Api) -> str:
    made = ok(api.call("POST", "/api/tasks/start_report", OWNER, {}), "a twin report task")
    return str(made.get("task_id") or made.get("id"))


def open_twin_alert(api: Api) -> str:
    answer = ok(api.call("GET", "/api/alerts?limit=500", OWNER), "twin alerts")
    for item in answer:
        if not item.get("acknowledged") and not item.get("resolved"):
            return str(item["id"])
    pytest.fail("no unacknowledged twin alert in the demo data")


def cookie_login(api: Api) -> dict[str, str]:
    """The twin cookie login: cookies ``access_token_cookie``, ``refresh_token_cookie`` and the CSRF ones."""
    answer = api.http.post("/api/auth/login", json={"username": OWNER_EMAIL, "password": DEMO_PASSWORD})
    ok(answer, "a cookie login")
    cookies = dict(answer.cookies)
    api.http.cookies.clear()
    return cookies


# --- enginel -------------------------------------------------------------------------------------------


def new_series(api: Api) -> str:
    body = {
        "organization": organization(api),
        "part_number": f"CF-{tag()}",
        "name": "Conformance series",
        "category": "AEROSPACE",
    }
    return str(post(api, "/api/series/", body, "a design series")["id"])


def step_file() -> bytes:
    from custos.modules.plm.cad.samples import bolted_bracket_step

    return bolted_bracket_step(columns=2, rows=1)


def design_body(api: Api) -> Multipart:
    step = once(api, "step-file", step_file)
    fields = {"series": new_series(api), "revision": "A", "classification": "UNCLASSIFIED", "material": "Ti-6Al-4V"}
    return Multipart(fields, {"file": ("bracket.step", step, "application/step")})


def new_design(api: Api, *, processed: bool = True) -> str:
    design = post(api, "/api/designs/", design_body(api), "a design")
    if processed:
        wait(
            api,
            f"/api/designs/{design['id']}/",
            lambda d: d.get("status") not in ("UPLOADING", "PROCESSING"),
            "design processing",
        )
    return str(design["id"])


def queued_job(api: Api) -> str:
    """The processing job of a design just uploaded (queued or running: cancellable)."""
    design = post(api, "/api/designs/", design_body(api), "a design")
    if not design.get("analysis_job_id"):
        pytest.fail(f"the new design names no processing job: {str(design)[:300]}")
    return str(design["analysis_job_id"])


def uploaded_design(api: Api) -> str:
    """A design made through ``upload-url/`` whose bytes were PUT to the signed URL (not finalized)."""
    step = once(api, "step-file", step_file)
    body = {"series": new_series(api), "filename": "bracket.step", "file_size": len(step)}
    made = post(api, "/api/designs/upload-url/", body, "an upload URL")
    put = api.http.put(made["upload_url"], content=step, headers={"Content-Type": "application/step"})
    if put.status_code not in (200, 201, 204):
        pytest.fail(f"PUT to the upload URL: {put.status_code} {put.text[:300]}")
    api.ids["uploaded-file-hash"] = "sha256:" + hashlib.sha256(step).hexdigest()
    return str(made["design_id"])


def review_body(api: Api, design: str | None = None) -> dict[str, Any]:
    return {
        "design_asset": design or new_design(api),
        "reviewers": [me(api)],
        "due_date": "2030-12-20T00:00:00Z",
        "notes": "Conformance review",
    }


def new_review(api: Api) -> str:
    return str(post(api, "/api/reviews/", review_body(api), "a review")["id"])


def designs_in_review(api: Api) -> str:
    design = new_design(api)
    body = {"reviewer_ids": [me(api)], "due_date": "2030-12-20T00:00:00Z", "notes": "Conformance"}
    post(api, f"/api/designs/{design}/start_review/", body, "a design review")
    return design


def shared_design(api: Api) -> str:
    return once(api, "conformance-design", lambda: new_design(api))


def markup_body(api: Api) -> dict[str, Any]:
    design = shared_design(api)
    review = once(
        api, "conformance-review", lambda: str(post(api, "/api/reviews/", review_body(api, design), "a review")["id"])
    )
    return {
        "design_asset": design,
        "review_session": review,
        "position": {"x": 25.5, "y": 12.3, "z": 8.7},
        "camera_position": {"x": 100, "y": 100, "z": 100},
        "camera_target": {"x": 25.5, "y": 12.3, "z": 8.7},
        "annotation_text": "Wall thickness appears insufficient",
        "severity": "MAJOR",
    }


def new_markup(api: Api) -> str:
    return str(post(api, "/api/markups/", markup_body(api), "a markup")["id"])


def bom_body(api: Api) -> dict[str, Any]:
    return {
        "design_asset": shared_design(api),
        "part_name": "Bolt",
        "part_number": f"HW-{tag()}",
        "quantity": 12,
        "unit_of_measure": "EA",
        "reference_designator": "B1-B12",
    }


def new_bom_node(api: Api) -> str:
    return str(post(api, "/api/bom-nodes/", bom_body(api), "a BOM node")["id"])


def new_api_key(api: Api) -> str:
    return str(post(api, "/api/auth/api-keys/", {"name": f"conformance {tag()}"}, "an API key")["id"])


def enginel_refresh(api: Api) -> str:
    answer = api.http.post("/api/auth/login/", json={"username": OWNER_EMAIL, "password": DEMO_PASSWORD})
    api.http.cookies.clear()
    return str(ok(answer, "an enginel login")["refresh_token"])


def org_body() -> dict[str, Any]:
    made = tag()
    return {"name": f"Conformance {made}", "slug": f"conformance-{made}"}


def founder(api: Api) -> str:
    """The persona that calls the organizations routes: a registered account of its own, so the
    organizations it founds never give the demo personas a second organization (a user of several
    must name one in ``X-Organization``)."""
    return once(api, "founder", api.throwaway)


def new_organization(api: Api) -> str:
    return str(post(api, "/api/organizations/", org_body(), "an organization", founder(api))["id"])


# --- sqal ------------------------------------------------------------------------------------------------


def model_body() -> dict[str, Any]:
    return {"name": f"Grader {tag()}", "algorithm": "random_forest", "parameters": {"n_estimators": 10}}


def new_model(api: Api) -> str:
    return str(post(api, "/api/ai/models/", model_body(), "a model")["id"])


def firmware_body() -> Multipart:
    number = uuid.uuid4().int
    version = f"{number % 90 + 10}.{number // 90 % 1000}.{number // 90_000 % 1000}"
    fields = {"version": version, "name": "Conformance firmware", "description": "Made by the conformance suite."}
    blob = b"CUSTOS-FW" + hashlib.sha256(version.encode()).digest() * 64
    return Multipart(fields, {"file": ("firmware.bin", blob, "application/octet-stream")})


def new_firmware(api: Api) -> str:
    return str(post(api, "/api/firmware/versions/", firmware_body(), "a firmware version")["id"])


def ota_body(api: Api) -> dict[str, Any]:
    device = new_device(api)
    return {"firmware_version_id": new_firmware(api), "device_ids": [device], "rollout_strategy": "all_at_once"}


def new_ota(api: Api) -> str:
    return str(post(api, "/api/firmware/ota/", ota_body(api), "an OTA campaign")["id"])


def new_device(api: Api) -> str:
    """A device registered by issuing its token (the twin's token route creates it)."""
    device_id = f"CONF_{tag().upper()}"
    ok(api.call("POST", f"/api/admin/devices/{device_id}/token", OWNER, {}), "a device token")
    return device_id


def device_token(api: Api, device_id: str) -> str:
    made = ok(api.call("POST", f"/api/admin/devices/{device_id}/token", OWNER, {}), "a device token")
    return str(made["token"])


def scheduled_body() -> dict[str, Any]:
    return {
        "name": f"Conformance schedule {tag()}",
        "report_type": "quality_summary",
        "format": "csv",
        "frequency": "weekly",
        "day_of_week": 0,
        "time": "07:00",
        "recipients": [OWNER_EMAIL],
    }


def new_scheduled(api: Api) -> str:
    return str(post(api, "/api/reports/scheduled/", scheduled_body(), "a scheduled report")["id"])


def new_report(api: Api) -> str:
    return str(post(api, "/api/reports/", {"report_type": "quality_summary", "format": "json"}, "a report")["id"])


def sample_frame(sample_id: str, device_id: str, height: float) -> dict[str, Any]:
    """A ``sensor_data`` frame of the documented shape (notes.md "sqal (004)"), the fill height in mm."""
    from custos.modules.quality.analysis.spectral import BANDS, REFERENCE_SHARES

    channels = {name: int(share * 40000) for name, share in zip(BANDS, REFERENCE_SHARES, strict=True)}
    return {
        "type": "sensor_data",
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "sample_id": sample_id,
        "device_id": device_id,
        "location": "Line 1",
        "vl53l8ch": {
            "distance_matrix": [[100.0 - height] * 8 for _ in range(8)],
            "reflectance_matrix": [[40] * 8 for _ in range(8)],
            "amplitude_matrix": [[900] * 8 for _ in range(8)],
            "reference_distance_mm": 100.0,
        },
        "as7341": {"channels": {**channels, "Clear": 30000, "NIR": 5000}, "integration_time": 100, "gain": 4},
        "fusion": {"final_score": 0.5, "final_grade": "B"},
        "meta": {"firmware": "1.2.0"},
        "lot_abattage": "LOT-CONF",
        "eleveur": "Conformance farm",
        "provenance": "Landes",
    }


def ws_url(api: Api, path: str, token: str) -> str:
    return str(api.http.base_url).replace("http://", "ws://").rstrip("/") + f"{path}?token={token}"


def send_samples(api: Api, heights: list[float]) -> list[dict[str, Any]]:
    """Store one sample per height through ``/ws/sensors/``; the ``ack`` of each."""
    from websockets.sync.client import connect

    device = once(api, "quality-device", lambda: new_device(api))
    acks = []
    with connect(ws_url(api, "/ws/sensors/", device_token(api, device)), open_timeout=20) as socket:
        hello = json.loads(socket.recv(timeout=20))
        assert hello["type"] == "connection_established", hello
        for height in heights:
            socket.send(json.dumps(sample_frame(f"CONF-{tag()}", device, height)))
            while True:
                reply = json.loads(socket.recv(timeout=60))
                if reply.get("type") in ("ack", "validation_error", "rate_limit_exceeded"):
                    break
            assert reply["type"] == "ack", reply
            acks.append(reply)
    return acks


def samples(api: Api) -> list[dict[str, Any]]:
    """A few stored samples of several grades (once per session)."""
    heights = [50.0, 49.0, 47.0, 45.0, 42.0, 40.0, 62.0, 30.0]
    return once(api, "quality-samples", lambda: send_samples(api, heights + heights + heights))


def analysis_id(api: Api) -> str:
    samples(api)
    return str(first(api, "/api/analysis/history/")["id"])


def dataset_body(api: Api) -> dict[str, Any]:
    samples(api)
    return {"name": f"Conformance dataset {tag()}"}


def new_dataset(api: Api) -> str:
    return str(post(api, "/api/ai/datasets/", dataset_body(api), "a dataset")["id"])


def training_body(api: Api) -> dict[str, Any]:
    return {"dataset_id": new_dataset(api), "model_id": new_model(api)}


def new_training(api: Api) -> str:
    return str(post(api, "/api/ai/training/", training_body(api), "a training job")["id"])


def trained_model(api: Api, *, activate: bool = False) -> str:
    """A new model trained on the session's samples (the job run by the server's worker)."""
    body = training_body(api)
    job = post(api, "/api/ai/training/", body, "a training job")
    finished = wait(
        api,
        f"/api/ai/training/{job['id']}",
        lambda j: str(j.get("status", "")).lower() in ("completed", "succeeded", "success", "failed", "error"),
        "training",
        timeout=120,
    )
    if str(finished.get("status", "")).lower() not in ("completed", "succeeded", "success"):
        pytest.fail(f"training failed: {str(finished)[:300]}")
    if activate:
        post(api, f"/api/ai/models/{body['model_id']}/activate/", {}, "an activation")
    return str(body["model_id"])


def active_model(api: Api) -> str:
    return trained_model(api, activate=True)


def predict_body(api: Api) -> dict[str, Any]:
    trained_model(api, activate=True)
    return {"analysisId": analysis_id(api)}


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()
