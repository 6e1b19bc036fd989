"""Firmware versions (``/api/firmware/versions/*``, sqal): upload, listing, deletion and the device-token
download."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from custos.api.testing import ApiContractMixin, assert_error_envelope
from custos.audit.models import AuditLog
from custos.devices import firmware
from custos.devices.models import Device, FirmwareVersion
from custos.kernel.context import WriteContext

pytestmark = pytest.mark.django_db

IMAGE = bytes(range(256)) * 40  # 10,240 bytes
IMAGE_SHA = hashlib.sha256(IMAGE).hexdigest()


def upload(name: str = "station.bin", content: bytes = IMAGE) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def make_version(organization, version="1.0.0", content=IMAGE):
    return firmware.firmware_version_create(
        WriteContext.system(organization_id=organization.pk),
        data={"version": version, "name": f"Build {version}", "file": upload(content=content)},
    )


def stored_bytes(version: FirmwareVersion) -> bytes:
    with version.file.open("rb") as handle:
        return handle.read()


class TestFirmwareVersionContract(ApiContractMixin):
    list_url = "/api/firmware/versions/"
    dialect = "sqal"
    model = FirmwareVersion
    create_format = "multipart"
    write_methods = ("delete",)

    @pytest.fixture
    def writer(self, adam):
        return adam  # firmware is OWNER/ADMIN work

    def detail_url(self, obj):
        return f"/api/firmware/versions/{obj.pk}"

    def create_payload(self, organization):
        return {"version": "2.1.0-rc.1", "name": "Release candidate", "description": "ToF fix", "file": upload()}

    def update_payload(self, obj):
        return {}

    def make_row(self, organization, user):
        return make_version(organization)

    # No update route in the document: the viewer is refused the writes that exist (upload, delete).
    def test_viewer_create_update_delete_are_403_and_change_nothing(self, client_for, viewer, own_object, org_a):
        client = client_for(viewer)
        rows, audits, stored = FirmwareVersion.objects.count(), self.audit_count(), self.snapshot(own_object)
        assert_error_envelope(
            client.post(self.list_url, self.create_payload(org_a), format="multipart"), status=403, dialect="sqal"
        )
        assert_error_envelope(client.delete(self.detail_url(own_object)), status=403, dialect="sqal")
        assert (FirmwareVersion.objects.count(), self.audit_count(), self.snapshot(own_object)) == (
            rows,
            audits,
            stored,
        )
        assert stored_bytes(own_object) == IMAGE


def test_upload_stores_the_file_with_its_sha256_and_size(client_for, adam, org_a):
    response = client_for(adam).post(
        "/api/firmware/versions/",
        {"version": "1.4.0", "name": "Station 1.4", "description": "Faster frames", "file": upload("fw.bin")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["message"] == "Created"
    data = body["data"]
    version = FirmwareVersion.objects.get(pk=data["id"])
    assert (data["version"], data["name"], data["description"]) == ("1.4.0", "Station 1.4", "Faster frames")
    assert (data["fileName"], data["fileSize"], data["sha256"]) == ("fw.bin", 10_240, IMAGE_SHA)
    assert data["downloadUrl"] == f"/api/firmware/versions/{version.pk}/download/"
    assert data["uploadedBy"] == str(adam.pk)
    assert (version.major, version.minor, version.patch, version.prerelease) == (1, 4, 0, "")
    assert version.file.name == f"firmware/{org_a.pk}/{version.pk}.bin"
    assert stored_bytes(version) == IMAGE
    audit = AuditLog.objects.get(resource_type="FirmwareVersion", action="CREATE")
    assert audit.changes["sha256"] == IMAGE_SHA and audit.changes["file_size"] == 10_240


def test_list_is_newest_version_first_in_the_sqal_envelope(client_for, amir, org_a, org_b):
    for number in ("1.2.0", "1.10.0", "1.10.0-beta.1", "0.9.9"):
        make_version(org_a, number)
    make_version(org_b, "9.0.0")
    body = client_for(amir).get("/api/firmware/versions/").json()
    assert [item["version"] for item in body["items"]] == ["1.10.0", "1.10.0-beta.1", "1.2.0", "0.9.9"]
    assert body["pagination"] == {
        "totalItems": 4,
        "totalPages": 1,
        "currentPage": 1,
        "hasPrevious": False,
        "hasNext": False,
    }
    detail = client_for(amir).get(f"/api/firmware/versions/{FirmwareVersion.objects.get(version='1.2.0').pk}/")
    assert detail.status_code == 200 and detail.json()["data"]["version"] == "1.2.0"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"version": "1.2", "name": "n", "file": "F"}, "version"),
        ({"version": "v1.2.3", "name": "n", "file": "F"}, "version"),
        ({"version": "01.2.3", "name": "n", "file": "F"}, "version"),
        ({"version": "1.2.3-", "name": "n", "file": "F"}, "version"),
        ({"version": "1.2.3", "name": "n"}, "file"),
        ({"version": "1.2.3", "name": "", "file": "F"}, "name"),
        ({"version": "1.2.3", "name": "n", "file": "EMPTY"}, "file"),
        ({"version": "1.2.3", "name": "n", "file": "F", "sha256": "xyz"}, "sha256"),
    ],
)
def test_bad_uploads_are_422_and_store_nothing(client_for, adam, org_a, payload, field):
    payload = dict(payload)
    if payload.get("file") == "F":
        payload["file"] = upload()
    elif payload.get("file") == "EMPTY":
        payload["file"] = upload(content=b"")
    response = client_for(adam).post("/api/firmware/versions/", payload, format="multipart")
    assert response.status_code == 422, response.content
    assert [item["loc"] for item in response.json()["detail"]] == [["body", field]]
    assert FirmwareVersion.objects.count() == 0
    assert AuditLog.objects.filter(resource_type="FirmwareVersion").count() == 0


def test_a_wrong_expected_sha256_is_422(client_for, adam):
    response = client_for(adam).post(
        "/api/firmware/versions/",
        {"version": "1.0.0", "name": "n", "file": upload(), "sha256": "0" * 64},
        format="multipart",
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == f"The file's SHA-256 is {IMAGE_SHA}, not {'0' * 64}."
    assert FirmwareVersion.objects.count() == 0
    ok = client_for(adam).post(
        "/api/firmware/versions/",
        {"version": "1.0.0", "name": "n", "file": upload(), "sha256": IMAGE_SHA.upper()},
        format="multipart",
    )
    assert ok.status_code == 201


def test_an_oversize_file_is_413_and_stores_nothing(client_for, adam, org_a, settings):
    settings.FIRMWARE_MAX_BYTES = 10_000
    response = client_for(adam).post(
        "/api/firmware/versions/", {"version": "1.0.0", "name": "n", "file": upload()}, format="multipart"
    )
    assert response.status_code == 413
    assert response.json()["detail"] == "The file is 10240 bytes; firmware images are at most 10000 bytes."
    assert FirmwareVersion.objects.count() == 0
    assert not (Path(settings.MEDIA_ROOT) / "firmware" / str(org_a.pk)).exists()


def test_a_duplicate_version_is_409_and_the_first_is_kept(client_for, adam, org_a, org_b):
    first = make_version(org_a, "3.0.0")
    make_version(org_b, "3.0.0")  # another organization may have the same number
    response = client_for(adam).post(
        "/api/firmware/versions/", {"version": "3.0.0", "name": "again", "file": upload()}, format="multipart"
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "Firmware version 3.0.0 already exists."}
    assert list(FirmwareVersion.objects.filter(organization=org_a)) == [first]


def test_a_member_may_not_upload(client_for, amir):
    response = client_for(amir).post(
        "/api/firmware/versions/", {"version": "1.0.0", "name": "n", "file": upload()}, format="multipart"
    )
    assert response.status_code == 403
    assert FirmwareVersion.objects.count() == 0


def test_delete_removes_the_row_and_the_stored_file(client_for, adam, org_a, django_capture_on_commit_callbacks):
    version = make_version(org_a)
    storage, name = version.file.storage, version.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(adam).delete(f"/api/firmware/versions/{version.pk}")
    assert response.status_code == 204
    assert not FirmwareVersion.objects.filter(pk=version.pk).exists()
    assert not storage.exists(name)
    assert AuditLog.objects.filter(resource_type="FirmwareVersion", action="DELETE").count() == 1


def test_delete_is_refused_while_an_active_campaign_installs_it(client_for, adam, org_a):
    version = make_version(org_a)
    Device.objects.create(organization=org_a, device_id="ST_1", device_type="sqal_station")
    firmware.ota_update_create(
        WriteContext.system(organization_id=org_a.pk),
        data={"firmware_version_id": version.pk, "target_devices": ["ST_1"]},
    )
    response = client_for(adam).delete(f"/api/firmware/versions/{version.pk}")
    assert response.status_code == 409
    assert response.json() == {"detail": "Firmware version 1.0.0 is used by 1 active OTA campaign(s)."}
    assert FirmwareVersion.objects.filter(pk=version.pk).exists()


# --- Download -------------------------------------------------------------------------------------


def test_a_device_downloads_its_organizations_firmware_with_its_token(device_client, org_a):
    version = make_version(org_a)
    station = Device.objects.create(organization=org_a, device_id="ST_1", device_type="sqal_station")
    response = device_client(station).get(f"/api/firmware/versions/{version.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == IMAGE
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Firmware-SHA256"] == IMAGE_SHA
    assert response["Content-Length"] == "10240"
    assert 'filename="firmware-1.0.0.bin"' in response["Content-Disposition"]


def test_another_organizations_device_cannot_download(device_client, org_a, org_b):
    version = make_version(org_a)
    foreign = Device.objects.create(organization=org_b, device_id="ST_1", device_type="sqal_station")
    response = device_client(foreign).get(
        f"/api/firmware/versions/{version.pk}/download", HTTP_ACCEPT="application/octet-stream"
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Firmware version not found."}


def test_download_needs_a_valid_credential_and_members_of_other_organizations_get_404(
    api_client, client_for, amir, bob, org_a
):
    version = make_version(org_a)
    url = f"/api/firmware/versions/{version.pk}/download/"
    assert api_client.get(url).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION="Device dvt_not-a-token")
    assert api_client.get(url).status_code == 401
    member = client_for(amir).get(url)
    assert member.status_code == 200 and b"".join(member.streaming_content) == IMAGE
    assert client_for(bob).get(url).status_code == 404
    assert client_for(amir).get("/api/firmware/versions/not-a-uuid/download/").status_code == 404
