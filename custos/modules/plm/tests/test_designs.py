"""Designs over the enginel dialect: upload (direct and by signed URL), processing as a Job, metadata,
download, changes and deletion."""

from __future__ import annotations

import hashlib
import math
import os

import pytest

from custos.audit.models import AuditLog
from custos.jobs.models import Job
from custos.modules.plm.models import AssemblyNode, DesignAsset
from custos.modules.plm.services import designs as design_services
from custos.modules.plm.tests import cad_fixtures as fx
from custos.modules.plm.tests.conftest import make_design, upload
from custos.ops.models import SystemSettings
from custos.orgs.models import Organization

pytestmark = pytest.mark.django_db


def close(actual, expected, rel=1e-6):
    return math.isclose(actual, expected, rel_tol=rel)


def sha(content: bytes) -> str:
    return f"sha256:{hashlib.sha256(content).hexdigest()}"


def test_a_direct_upload_is_stored_versioned_and_processed_by_a_job(processed, box_step, org_a, alice, series_a):
    design = processed("box.step", revision="Rev A", material="Ti-6Al-4V")
    assert (design.version_number, design.status, design.file_format) == (1, "READY", "STEP")
    assert design.file_hash == sha(box_step) and design.file_size_bytes == len(box_step)
    assert close(design.volume_cubic_mm, 125000.0) and close(design.surface_area_sq_mm, 17500.0)
    assert close(design.center_of_mass["x"], 50.0) and close(design.center_of_mass["z"], 12.5)
    assert design.topology == {"solids": 1, "shells": 1, "faces": 6, "edges": 12, "vertices": 8}
    assert design.is_valid_geometry is True and design.units == "millimetre"
    assert close(design.mass_kg, 125000e-9 * 4430)
    job = Job.objects.get(pk=design.processing_job_id)
    assert (job.status, job.job_type, job.task_name) == ("SUCCESS", "PROCESSING", "plm.process_design")
    assert (job.subject_type, job.subject_id) == ("plm.DesignAsset", str(design.pk))
    assert job.result["geometry_extracted"] is True and job.result["bom_items"] == 1
    assert [row.action for row in AuditLog.objects.filter(resource_type="DesignAsset").order_by("sequence")] == [
        "CREATE",
        "BOM_EXTRACT",
        "PROCESS",
    ]
    assert Organization.objects.get(pk=org_a.pk).storage_used_bytes == len(box_step)
    assert processed("box.step").version_number == 2


def test_the_design_response_has_the_documented_shape(processed, client_for, alice, series_a):
    design = processed("box.step", material="Aluminum 6061")
    body = client_for(alice).get(f"/api/designs/{design.pk}/").json()
    assert body["series"] == str(series_a.pk) and body["part_number"] == "TB-001"
    assert body["series_name"] == "Turbine bracket" and body["filename"] == "box.step"
    assert body["bounding_box"]["max"] == {"x": pytest.approx(100), "y": pytest.approx(50), "z": pytest.approx(25)}
    assert body["mass_kg"] == pytest.approx(0.3375)
    assert body["uploaded_by"] == str(alice.pk) and body["uploaded_by_username"] == alice.username
    assert body["analysis_job_id"] == str(design.processing_job_id)
    trimmed = client_for(alice).get("/api/designs/", {"fields": "id,filename,status"}).json()
    assert trimmed["results"] == [{"id": str(design.pk), "filename": "box.step", "status": "READY"}]


def test_a_box_written_in_inches_gives_the_same_millimetre_figures(processed, tmp_path):
    content = fx.step_bytes(fx.box_shape(), tmp_path / "inch.step", unit="INCH")
    design = processed("inch.step", content)
    assert design.units == "inch"
    assert close(design.volume_cubic_mm, 125000.0) and close(design.surface_area_sq_mm, 17500.0)
    assert close(design.center_of_mass["y"], 25.0)


def test_an_iges_file_and_an_stl_mesh_are_processed(processed, tmp_path):
    iges = processed("box.igs", fx.iges_bytes(fx.box_shape(), tmp_path / "b.igs"))
    assert iges.file_format == "IGES" and close(iges.volume_cubic_mm, 125000.0)
    stl = processed("box.stl", fx.stl_box_bytes(), material="steel")
    assert stl.file_format == "STL" and close(stl.volume_cubic_mm, 125000.0)
    assert stl.mesh["watertight"] is True and close(stl.mass_kg, 125000e-9 * 7850)
    opened = processed("open.stl", fx.open_stl_bytes())
    assert opened.status == "READY" and opened.volume_cubic_mm is None and opened.is_valid_geometry is False


def test_an_unknown_material_gives_no_mass_and_a_warning(processed):
    design = processed("box.step", material="unobtainium")
    assert design.mass_kg is None
    assert design.validation_warnings == ["Unknown material 'unobtainium': no density, so no mass."]


def test_a_corrupt_file_fails_the_design_and_the_job(
    client_for, alice, series_a, jobs_fail_quietly, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client_for(alice), series_a, "bad.step", b"ISO-10303-21;\nHEADER;\nnot a model at all\n")
    assert response.status_code == 201
    design = DesignAsset.objects.get(pk=response.json()["id"])
    assert (design.status, design.status_reason, design.is_valid_geometry) == (
        "FAILED",
        "GEOMETRY_EXTRACTION_FAILED",
        False,
    )
    job = Job.objects.get(pk=design.processing_job_id)
    assert job.status == "FAILURE" and "GEOMETRY_EXTRACTION_FAILED" in job.error
    assert not AssemblyNode.objects.filter(design_asset=design).exists()


@pytest.mark.parametrize(
    ("filename", "content"),
    [("box.stl", b"ISO-10303-21;\nHEADER;\n"), ("box.step", b"solid x\nfacet\n"), ("notes.txt", b"hello")],
)
def test_a_mislabelled_or_unsupported_file_is_400_and_nothing_is_stored(client_for, alice, series_a, filename, content):
    response = upload(client_for(alice), series_a, filename, content)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "INVALID_FILE_FORMAT" and body["error"] == "Validation error"
    assert DesignAsset.objects.count() == 0 and not AuditLog.objects.filter(resource_type="DesignAsset").exists()


def test_a_file_over_the_limit_is_413_and_nothing_is_stored(client_for, alice, series_a, org_a, settings):
    row = SystemSettings.load()
    row.max_file_size_mb = 1
    row.save()
    content = b"ISO-10303-21;\n" + b"x" * (1024 * 1024 + 1)
    response = upload(client_for(alice), series_a, "big.step", content)
    assert response.status_code == 413 and response.json()["code"] == "FILE_TOO_LARGE"
    assert DesignAsset.objects.count() == 0
    assert Organization.objects.get(pk=org_a.pk).storage_used_bytes == 0


def test_a_viewer_cannot_upload_and_a_foreign_series_is_unknown(client_for, vera, amir, series_a, series_b, box_step):
    assert upload(client_for(vera), series_a, "box.step", box_step).status_code == 403
    response = upload(client_for(amir), series_b, "box.step", box_step)
    assert response.status_code == 400
    assert response.json()["field_errors"] == {"series": [f'Invalid pk "{series_b.pk}" - object does not exist.']}
    assert DesignAsset.objects.count() == 0


# --- the signed upload URL ----------------------------------------------------------------------


def _upload_url(client, series, **extra):
    body = {"series": str(series.pk), "filename": "box.step", **extra}
    return client.post("/api/designs/upload-url/", body, format="json")


def test_upload_url_put_and_finalize(
    client_for, api_client, alice, series_a, box_step, run_jobs_inline, django_capture_on_commit_callbacks
):
    response = _upload_url(client_for(alice), series_a, file_size=len(box_step), material="Ti-6Al-4V")
    assert response.status_code == 201, response.content
    body = response.json()
    design = DesignAsset.objects.get(pk=body["upload_id"])
    assert design.status == "UPLOADING" and body["method"] == "PUT"
    assert body["upload_url"].startswith("http://testserver/api/designs/uploads/")
    put = api_client.put(body["upload_url"], box_step, content_type="application/octet-stream")
    assert put.status_code == 200, put.content
    assert put.json() == {
        "upload_id": str(design.pk),
        "file_size_bytes": len(box_step),
        "file_hash": sha(box_step),
        "status": "UPLOADING",
    }
    wrong = client_for(alice).post(
        f"/api/designs/{design.pk}/finalize_upload/", {"file_hash": "sha256:" + "0" * 64}, format="json"
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "FILE_HASH_MISMATCH"
    assert DesignAsset.objects.get(pk=design.pk).status == "UPLOADING"
    with django_capture_on_commit_callbacks(execute=True):
        done = client_for(alice).post(
            f"/api/designs/{design.pk}/finalize_upload/", {"file_hash": sha(box_step)}, format="json"
        )
    assert done.status_code == 200, done.content
    design.refresh_from_db()
    assert done.json() == {
        "status": "PROCESSING",
        "analysis_job_id": str(design.processing_job_id),
        "message": "File upload finalized, processing started",
    }
    assert design.status == "READY" and close(design.volume_cubic_mm, 125000.0)
    again = api_client.put(body["upload_url"], box_step, content_type="application/octet-stream")
    assert again.status_code == 409
    assert client_for(alice).post(f"/api/designs/{design.pk}/finalize/", {}, format="json").status_code == 409


def test_finalize_alias_and_multipart_post_to_the_upload_url(client_for, api_client, alice, series_a, box_step):
    body = _upload_url(client_for(alice), series_a).json()
    from django.core.files.uploadedfile import SimpleUploadedFile

    posted = api_client.post(body["upload_url"], {"file": SimpleUploadedFile("x.step", box_step)}, format="multipart")
    assert posted.status_code == 200 and posted.json()["file_hash"] == sha(box_step)
    response = client_for(alice).post(f"/api/designs/{body['upload_id']}/finalize/", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "PROCESSING"


def test_finalize_before_any_bytes_is_400(client_for, alice, series_a):
    body = _upload_url(client_for(alice), series_a).json()
    response = client_for(alice).post(f"/api/designs/{body['upload_id']}/finalize_upload/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["field_errors"] == {"file": ["No file has been uploaded to this design yet."]}


def test_the_upload_url_refuses_bad_tokens_expiry_wrong_content_and_oversize(
    client_for, api_client, alice, series_a, box_step, monkeypatch
):
    body = _upload_url(client_for(alice), series_a, file_size=100).json()
    url = body["upload_url"]
    tampered = url.replace("/uploads/", "/uploads/x")
    assert api_client.put(tampered, box_step, content_type="application/octet-stream").status_code == 403
    too_big = api_client.put(url, box_step, content_type="application/octet-stream")
    assert too_big.status_code == 413 and too_big.json()["code"] == "FILE_TOO_LARGE"
    wrong = api_client.put(url, b"solid x\nfacet normal\n", content_type="application/octet-stream")
    assert wrong.status_code == 400 and wrong.json()["code"] == "INVALID_FILE_FORMAT"
    monkeypatch.setattr(design_services, "UPLOAD_URL_SECONDS", -1)
    expired = api_client.put(url, b"ISO-10303-21;", content_type="application/octet-stream")
    assert expired.status_code == 403 and expired.json()["code"] == "UPLOAD_URL_EXPIRED"
    design = DesignAsset.objects.get(pk=body["upload_id"])
    assert not design.file and design.file_hash == "" and design.status == "UPLOADING"


def test_upload_url_bad_input(client_for, alice, series_a):
    response = _upload_url(client_for(alice), series_a, filename="part.docx")
    assert response.status_code == 400 and response.json()["code"] == "INVALID_FILE_FORMAT"
    missing = client_for(alice).post("/api/designs/upload-url/", {"filename": "a.step"}, format="json")
    assert missing.status_code == 400 and "series" in missing.json()["field_errors"]
    assert DesignAsset.objects.count() == 0


# --- download, metadata, changes, deletion ----------------------------------------------------------


def test_download_streams_the_file_and_is_audited(client_for, amir, series_a, box_step):
    design = make_design(series_a, content=box_step)
    response = client_for(amir).get(f"/api/designs/{design.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == box_step
    assert response["Content-Type"] == "application/step"
    assert 'filename="part.step"' in response["Content-Disposition"]
    row = AuditLog.objects.get(action="DOWNLOAD")
    assert (row.resource_type, row.resource_id, row.actor_id) == ("DesignAsset", str(design.pk), str(amir.pk))


def test_metadata(processed, client_for, alice):
    design = processed("box.step", material="Ti-6Al-4V")
    body = client_for(alice).get(f"/api/designs/{design.pk}/metadata/").json()
    assert body["geometry"]["volume_cubic_mm"] == pytest.approx(125000.0)
    assert body["geometry"]["topology"]["faces"] == 6
    assert body["material"] == {"name": "Ti-6Al-4V", "density_kg_m3": 4430.0, "mass_kg": pytest.approx(0.55375)}
    assert body["validation"] == {"is_valid": True, "errors": [], "warnings": []}
    assert body["units"] == {"source": "millimetre", "reported": "mm"}


def test_patch_recomputes_mass_archives_and_refuses_other_statuses(processed, client_for, amir):
    design = processed("box.step", material="Ti-6Al-4V")
    client = client_for(amir)
    response = client.patch(f"/api/designs/{design.pk}/", {"material": "steel", "revision": "B"}, format="json")
    assert response.status_code == 200 and response.json()["mass_kg"] == pytest.approx(0.98125)
    refused = client.patch(f"/api/designs/{design.pk}/", {"status": "APPROVED"}, format="json")
    assert refused.status_code == 400 and "status" in refused.json()["field_errors"]
    assert DesignAsset.objects.get(pk=design.pk).status == "READY"
    archived = client.patch(f"/api/designs/{design.pk}/", {"status": "ARCHIVED"}, format="json")
    assert archived.status_code == 200 and archived.json()["status"] == "ARCHIVED"


def test_delete_removes_the_row_its_file_and_releases_storage(
    processed, client_for, alice, org_a, django_capture_on_commit_callbacks
):
    design = processed("box.step")
    path = design.file.path
    assert os.path.exists(path)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).delete(f"/api/designs/{design.pk}/")
    assert response.status_code == 204
    assert not DesignAsset.objects.filter(pk=design.pk).exists() and not os.path.exists(path)
    assert Organization.objects.get(pk=org_a.pk).storage_used_bytes == 0
    assert not AssemblyNode.objects.filter(design_asset_id=design.pk).exists()


def test_convert_units(client_for, amir):
    client = client_for(amir)
    body = client.get("/api/designs/convert-units/", {"value": 100, "from_unit": "mm", "to_unit": "in"}).json()
    assert body["converted_value"] == pytest.approx(3.937007874) and body["conversion_factor"] == pytest.approx(
        0.0393700787
    )
    alias = client.get("/api/designs/convert_units/", {"value": 2, "from": "kg", "to": "lb"})
    assert alias.status_code == 200 and alias.json()["converted_value"] == pytest.approx(4.40924524)
    mixed = client.get("/api/designs/convert-units/", {"value": 1, "from": "mm", "to": "kg"})
    assert mixed.status_code == 400 and mixed.json()["code"] == "INCOMPATIBLE_UNITS"
    unknown = client.get("/api/designs/convert-units/", {"value": 1, "from": "smoot", "to": "mm"})
    assert unknown.status_code == 400 and "from_unit" in unknown.json()["field_errors"]
    missing = client.get("/api/designs/convert-units/", {"from": "mm", "to": "in"})
    assert missing.status_code == 400 and "value" in missing.json()["field_errors"]
