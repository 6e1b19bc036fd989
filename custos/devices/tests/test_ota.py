"""OTA campaigns (``/api/firmware/ota/*``, sqal) and their device side (``custos.devices.ota``): waves,
halting on the failure rate, cancel, scheduled starts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from custos.api.testing import ApiContractMixin, assert_error_envelope
from custos.audit.models import AuditLog
from custos.devices import firmware, ota
from custos.devices.models import Device, FirmwareVersion, OtaUpdate, OtaUpdateLog
from custos.devices.ota_tasks import ota_tick
from custos.devices.tests.test_firmware_versions import make_version
from custos.kernel.context import WriteContext

pytestmark = pytest.mark.django_db


def stations(organization, count, *, prefix="ST", device_type="sqal_station", version="0.9.0"):
    return [
        Device.objects.create(
            organization=organization,
            device_id=f"{prefix}_{number:02d}",
            device_type=device_type,
            metadata={"firmware_version": version},
        )
        for number in range(1, count + 1)
    ]


def stored_version(organization, version):
    return FirmwareVersion.objects.create(
        organization=organization,
        version=version,
        major=5,
        minor=0,
        patch=0,
        name="Stored",
        file=ContentFile(b"image", name="x.bin"),
        file_name="x.bin",
        file_size=5,
        sha256="0" * 64,
    )


def campaign_for(organization, version, **data):
    return firmware.ota_update_create(
        WriteContext.system(organization_id=organization.pk), data={"firmware_version_id": version.pk, **data}
    )


def offered(devices):
    """The device ids offered an update now (through the socket contract)."""
    return [device.device_id for device in devices if ota.offers_for(device)]


def report(device, campaign, *statuses, error=""):
    replies = [
        ota.record_progress(
            device, {"type": "ota_progress", "update_id": str(campaign.pk), "status": s, "error": error}
        )
        for s in statuses
    ]
    return replies[-1]


def finish(device, campaign):
    return report(device, campaign, "downloading", "installing", "completed")


class TestOtaCampaignContract(ApiContractMixin):
    list_url = "/api/firmware/ota/"
    dialect = "sqal"
    model = OtaUpdate
    write_methods = ()

    @pytest.fixture
    def writer(self, adam):
        return adam

    def detail_url(self, obj):
        return f"/api/firmware/ota/{obj.pk}"

    def create_payload(self, organization):
        version = stored_version(organization, "5.0.0")  # no event of its own: the create's is counted
        stations(organization, 2, prefix="NEW")
        return {"firmwareVersionId": str(version.pk), "targetDeviceType": "sqal_station", "name": "Roll 5.0"}

    def update_payload(self, obj):
        return {}

    def make_row(self, organization, user):
        devices = stations(organization, 1, prefix=f"ROW{OtaUpdate.objects.count()}")
        return campaign_for(
            organization,
            make_version(organization, f"1.{OtaUpdate.objects.count()}.0"),
            target_devices=[d.device_id for d in devices],
        )

    # The document has no update or delete of a campaign: the viewer's writes are create and cancel.
    def test_viewer_create_update_delete_are_403_and_change_nothing(self, client_for, viewer, own_object, org_a):
        client = client_for(viewer)
        rows, audits, stored = OtaUpdate.objects.count(), self.audit_count(), self.snapshot(own_object)
        for response in (
            client.post(self.list_url, self.create_payload(org_a), format="json"),
            client.post(f"{self.detail_url(own_object)}/cancel/", {}, format="json"),
        ):
            assert_error_envelope(response, status=403, dialect="sqal")
        assert (OtaUpdate.objects.count(), self.audit_count(), self.snapshot(own_object)) == (rows, audits, stored)

    def test_cross_tenant_cancel_is_404_and_changes_nothing(self, client_for, adam, foreign_object):
        before = self.snapshot(foreign_object)
        response = client_for(adam).post(f"/api/firmware/ota/{foreign_object.pk}/cancel/", {}, format="json")
        assert_error_envelope(response, status=404, dialect="sqal")
        assert self.snapshot(foreign_object) == before
        assert offered(list(Device.objects.filter(organization=foreign_object.organization)))


# --- Waves and the halt -----------------------------------------------------------------------------


def test_ten_devices_in_20_percent_waves_halt_when_one_of_two_fails(org_a):
    fleet = stations(org_a, 10)
    version = make_version(org_a, "2.0.0")
    campaign = campaign_for(
        org_a, version, target_device_type="sqal_station", rollout_strategy="gradual", rollout_percentage=20
    )
    assert (campaign.total_devices, campaign.wave_size, campaign.wave_count, campaign.current_wave) == (10, 2, 5, 1)
    assert list(
        OtaUpdateLog.objects.filter(update=campaign).order_by("device__device_id").values_list("wave", flat=True)
    ) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert offered(fleet) == ["ST_01", "ST_02"]
    offer = ota.offers_for(fleet[0])[0]
    assert offer == {
        "type": "ota_available",
        "update_id": str(campaign.pk),
        "version": "2.0.0",
        "name": "Build 2.0.0",
        "size": 10_240,
        "sha256": version.sha256,
        "download_url": f"/api/firmware/versions/{version.pk}/download/",
        "status": "pending",
        "progress": 0,
    }
    assert finish(fleet[0], campaign) == {
        "type": "ota_progress_ack",
        "update_id": str(campaign.pk),
        "status": "completed",
        "progress": 100,
    }
    campaign.refresh_from_db()
    assert (campaign.status, campaign.current_wave) == ("in_progress", 1)  # one of two: not enough attempts yet
    assert report(fleet[1], campaign, "downloading", "failed", error="flash write error")["status"] == "failed"
    campaign.refresh_from_db()
    assert campaign.status == "halted"
    assert campaign.halt_reason == "Wave 1: 1 of 2 updates failed (50.0 % > 20 %)."
    statuses = dict(OtaUpdateLog.objects.filter(update=campaign).values_list("device__device_id", "status"))
    assert statuses == {"ST_01": "completed", "ST_02": "failed", **{f"ST_{n:02d}": "cancelled" for n in range(3, 11)}}
    assert OtaUpdateLog.objects.get(update=campaign, device=fleet[1]).error_message == "flash write error"
    assert offered(fleet) == []
    assert AuditLog.objects.filter(resource_type="OtaUpdate", action="HALT", actor_type="system").count() == 1


def test_waves_advance_when_finished_and_the_campaign_completes(org_a, client_for, amir):
    fleet = stations(org_a, 5)
    campaign = campaign_for(
        org_a,
        make_version(org_a, "2.0.0"),
        target_devices=[d.device_id for d in fleet],
        rollout_strategy="gradual",
        rollout_percentage=40,
    )
    assert (campaign.wave_size, campaign.wave_count) == (2, 3)
    seen = []
    for _ in range(3):
        now_offered = offered(fleet)
        seen.append(now_offered)
        for device in fleet:
            if device.device_id in now_offered:
                finish(device, campaign)
    assert seen == [["ST_01", "ST_02"], ["ST_03", "ST_04"], ["ST_05"]]
    campaign.refresh_from_db()
    assert (campaign.status, campaign.current_wave) == ("completed", 3)
    data = client_for(amir).get(f"/api/firmware/ota/{campaign.pk}").json()["data"]
    assert data["status"] == "completed" and data["progress"] == 100.0
    assert data["stats"] == {
        "pending": 0,
        "downloading": 0,
        "installing": 0,
        "completed": 5,
        "failed": 0,
        "cancelled": 0,
    }
    assert [(log["deviceId"], log["wave"], log["status"]) for log in data["logs"]] == [
        ("ST_01", 1, "completed"),
        ("ST_02", 1, "completed"),
        ("ST_03", 2, "completed"),
        ("ST_04", 2, "completed"),
        ("ST_05", 3, "completed"),
    ]


def test_a_failure_rate_at_the_threshold_does_not_halt(org_a):
    fleet = stations(org_a, 5)
    campaign = campaign_for(
        org_a, make_version(org_a), target_device_type="sqal_station", failure_threshold_percent=20, halt_min_attempts=5
    )
    report(fleet[0], campaign, "failed")
    for device in fleet[1:]:
        finish(device, campaign)
    campaign.refresh_from_db()
    assert campaign.status == "completed"  # 1 of 5 = 20 %, not more


def test_a_wave_interval_advances_through_the_periodic_tick(org_a):
    fleet = stations(org_a, 4)
    campaign = campaign_for(
        org_a,
        make_version(org_a),
        target_device_type="sqal_station",
        rollout_strategy="gradual",
        rollout_percentage=50,
        wave_interval_minutes=30,
    )
    started = campaign.wave_started_at
    assert firmware.ota_tick(now=started + timedelta(minutes=29))["advanced"] == 0
    assert offered(fleet) == ["ST_01", "ST_02"]
    assert firmware.ota_tick(now=started + timedelta(minutes=30))["advanced"] == 1
    assert offered(fleet) == ["ST_01", "ST_02", "ST_03", "ST_04"]


def test_the_device_reporting_the_new_version_is_recorded_completed(org_a):
    fleet = stations(org_a, 1)
    campaign = campaign_for(org_a, make_version(org_a, "3.1.0"), target_device_type="sqal_station")
    fleet[0].metadata = {"firmware_version": "3.1.0"}  # as esp32_hello records it
    assert ota.offers_for(fleet[0]) == []
    log = OtaUpdateLog.objects.get(update=campaign)
    assert (log.status, log.progress, log.previous_version) == ("completed", 100, "0.9.0")
    campaign.refresh_from_db()
    assert campaign.status == "completed"


def test_progress_moves_forward_only_and_refusals_change_nothing(org_a, org_b):
    fleet = stations(org_a, 1)
    campaign = campaign_for(org_a, make_version(org_a), target_device_type="sqal_station")
    assert report(fleet[0], campaign, "installing")["status"] == "installing"
    back = report(fleet[0], campaign, "downloading")
    assert back == {
        "type": "ota_error",
        "update_id": str(campaign.pk),
        "message": "status: An update cannot go back from installing to downloading.",
        "status_code": 400,
    }
    progress = ota.record_progress(fleet[0], {"update_id": str(campaign.pk), "status": "installing", "progress": 40})
    assert progress["progress"] == 40
    bad = ota.record_progress(fleet[0], {"update_id": str(campaign.pk), "status": "installing", "progress": 140})
    assert bad["type"] == "ota_error" and bad["status_code"] == 400
    assert ota.record_progress(fleet[0], {"update_id": str(campaign.pk), "status": "done"})["type"] == "ota_error"
    foreign = stations(org_b, 1)[0]  # another organization's device cannot touch this update
    assert report(foreign, campaign, "failed")["message"] == "No such update for this device."
    log = OtaUpdateLog.objects.get(update=campaign)
    assert (log.status, log.progress) == ("installing", 40)
    assert report(fleet[0], campaign, "completed")["status"] == "completed"
    assert report(fleet[0], campaign, "failed")["message"] == "This update is already completed."
    assert AuditLog.objects.filter(resource_type="OtaUpdateLog", actor_type="device").count() == 2


# --- Cancel and scheduled starts ------------------------------------------------------------------


def test_cancel_stops_offers_and_cancels_pending_devices(client_for, adam, org_a):
    fleet = stations(org_a, 3)
    campaign = campaign_for(org_a, make_version(org_a), target_device_type="sqal_station")
    report(fleet[0], campaign, "downloading")
    response = client_for(adam).post(f"/api/firmware/ota/{campaign.pk}/cancel/", {}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Cancelled"
    assert body["data"]["status"] == "cancelled"
    assert body["data"]["stats"] == {
        "pending": 0,
        "downloading": 1,
        "installing": 0,
        "completed": 0,
        "failed": 0,
        "cancelled": 2,
    }
    assert offered(fleet) == []
    assert report(fleet[0], campaign, "completed")["status"] == "completed"  # under way: its outcome is kept
    again = client_for(adam).post(f"/api/firmware/ota/{campaign.pk}/cancel", {}, format="json")
    assert again.status_code == 409 and again.json() == {"detail": "The campaign is already cancelled."}
    assert AuditLog.objects.filter(resource_type="OtaUpdate", action="CANCEL").count() == 1


def test_a_member_may_not_cancel(client_for, amir, org_a):
    fleet = stations(org_a, 1)
    campaign = campaign_for(org_a, make_version(org_a), target_device_type="sqal_station")
    assert client_for(amir).post(f"/api/firmware/ota/{campaign.pk}/cancel/", {}, format="json").status_code == 403
    assert offered(fleet) == ["ST_01"]


def test_a_scheduled_campaign_starts_when_its_time_comes(client_for, adam, org_a):
    fleet = stations(org_a, 2)
    version = make_version(org_a)
    start = timezone.now() + timedelta(hours=2)
    response = client_for(adam).post(
        "/api/firmware/ota/",
        {
            "firmwareVersionId": str(version.pk),
            "targetDevices": ["ST_01", "ST_02"],
            "rolloutStrategy": "scheduled",
            "scheduledAt": start.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["status"], data["currentWave"], data["startedAt"]) == ("scheduled", 0, None)
    assert data["targetDevices"] == ["ST_01", "ST_02"]
    assert offered(fleet) == []
    assert firmware.ota_tick(now=start - timedelta(seconds=1))["started"] == 0
    assert offered(fleet) == []
    assert firmware.ota_tick(now=start)["started"] == 1
    campaign = OtaUpdate.objects.get(pk=data["id"])
    assert (campaign.status, campaign.current_wave, campaign.started_at) == ("in_progress", 1, start)
    assert offered(fleet) == ["ST_01", "ST_02"]
    assert ota_tick.name == "devices.ota_tick"
    assert AuditLog.objects.filter(resource_type="OtaUpdate", action="START").count() == 1


# --- Bad input, conflicts, tenancy ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({}, "target_devices"),
        ({"targetDevices": ["ST_01"], "targetDeviceType": "sqal_station"}, "target_devices"),
        ({"targetDevices": ["ST_01", "NOPE_1"]}, "target_devices"),
        ({"targetDeviceType": "unknown_type"}, "target_device_type"),
        ({"targetDeviceType": "Bad Type!"}, "target_device_type"),
        ({"targetDeviceType": "sqal_station", "rolloutStrategy": "sometimes"}, "rollout_strategy"),
        ({"targetDeviceType": "sqal_station", "rolloutStrategy": "gradual"}, "rollout_percentage"),
        (
            {"targetDeviceType": "sqal_station", "rolloutStrategy": "gradual", "rolloutPercentage": 0},
            "rollout_percentage",
        ),
        ({"targetDeviceType": "sqal_station", "rolloutPercentage": 50}, "rollout_percentage"),
        ({"targetDeviceType": "sqal_station", "rolloutStrategy": "scheduled"}, "scheduled_at"),
        ({"targetDeviceType": "sqal_station", "scheduledAt": "2030-01-01T00:00:00Z"}, "scheduled_at"),
        ({"targetDeviceType": "sqal_station", "failureThresholdPercent": 101}, "failure_threshold_percent"),
        (
            {"targetDeviceType": "sqal_station", "firmwareVersionId": "00000000-0000-4000-8000-000000000001"},
            "firmware_version_id",
        ),
    ],
)
def test_bad_campaigns_are_422_and_create_nothing(client_for, adam, org_a, extra, field):
    stations(org_a, 2)
    version = make_version(org_a)
    response = client_for(adam).post(
        "/api/firmware/ota/", {"firmwareVersionId": str(version.pk), **extra}, format="json"
    )
    assert response.status_code == 422, response.content
    assert [item["loc"] for item in response.json()["detail"]] == [["body", field]]
    assert OtaUpdate.objects.count() == 0 and OtaUpdateLog.objects.count() == 0


def test_unknown_devices_are_named(client_for, adam, org_a, org_b):
    stations(org_a, 1)
    stations(org_b, 2)  # ST_02 exists only in another organization
    version = make_version(org_a)
    response = client_for(adam).post(
        "/api/firmware/ota/", {"firmwareVersionId": str(version.pk), "deviceIds": ["ST_01", "ST_02"]}, format="json"
    )
    assert response.json()["detail"][0]["msg"] == "Unknown devices: ST_02."


def test_another_organizations_firmware_cannot_be_rolled_out(client_for, adam, org_a, org_b):
    stations(org_a, 1)
    foreign = make_version(org_b)
    response = client_for(adam).post(
        "/api/firmware/ota/", {"firmwareVersionId": str(foreign.pk), "targetDevices": ["ST_01"]}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == f'Invalid pk "{foreign.pk}" - object does not exist.'
    assert OtaUpdate.objects.count() == 0


def test_a_device_busy_in_another_campaign_is_409(client_for, adam, org_a):
    stations(org_a, 2)
    campaign_for(org_a, make_version(org_a), target_devices=["ST_02"])
    version = make_version(org_a, "1.1.0")
    response = client_for(adam).post(
        "/api/firmware/ota/", {"firmwareVersionId": str(version.pk), "targetDeviceType": "sqal_station"}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "These devices are already being updated by another campaign: ST_02."}
    assert OtaUpdate.objects.count() == 1


def test_list_shows_figures_per_campaign(client_for, amir, org_a):
    fleet = stations(org_a, 2)
    campaign = campaign_for(org_a, make_version(org_a), target_device_type="sqal_station", name="Fleet")
    report(fleet[0], campaign, "failed")
    body = client_for(amir).get("/api/firmware/ota/", {"status": "in_progress"}).json()
    assert body["pagination"]["totalItems"] == 1
    item = body["items"][0]
    assert (item["name"], item["firmwareVersion"], item["rolloutStrategy"], item["totalDevices"]) == (
        "Fleet",
        "1.0.0",
        "all_at_once",
        2,
    )
    assert item["stats"]["failed"] == 1 and item["stats"]["pending"] == 1 and item["progress"] == 50.0
    assert item["failureThresholdPercent"] == 20.0 and item["haltMinAttempts"] == 5
    assert client_for(amir).get("/api/firmware/ota/", {"status": "halted"}).json()["pagination"]["totalItems"] == 0
