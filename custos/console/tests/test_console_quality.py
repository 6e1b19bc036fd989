"""The console's quality page through the test client: figures, Cp/Cpk and ΔE on samples with known
values (hand-computed, and equal to the SQAL API's), the rows the live table asks for, stations with their
firmware, OTA progress counts, another organization never shown, bad parameters refused."""

from __future__ import annotations

import json
import math
import uuid
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from custos.console.finders import node_modules
from custos.console.tests.test_console import logged_in
from custos.console.views import quality as quality_views
from custos.devices import firmware, ota
from custos.devices.models import Device, FirmwareVersion
from custos.kernel.context import WriteContext
from custos.modules.quality.models import QualitySample

pytestmark = pytest.mark.django_db

CHART_JS = node_modules() / "chart.js" / "dist" / "chart.umd.min.js"


def station(org, device_id="SQAL_001", *, version=None, **extra):
    metadata = {"firmware_version": version} if version else {}
    return Device.objects.create(
        organization=org, device_id=device_id, device_type="sqal_station", metadata=metadata, **extra
    )


def sample(device, number, *, minutes_ago, score=0.8, grade="A", height=50.0, delta_e=2.0):
    return QualitySample.objects.create(
        organization_id=device.organization_id,
        device=device,
        sample_id=f"S-{number:04d}",
        timestamp=timezone.now() - timedelta(minutes=minutes_ago),
        distance_matrix=[[50.0] * 8 for _ in range(8)],
        tof_score=score,
        tof_grade=grade,
        spectral_score=score,
        spectral_grade=grade,
        fusion_score=score,
        grade=grade,
        avg_height_mm=height,
        delta_e=delta_e,
        certification_hash="0" * 64,
    )


@pytest.fixture
def known(org_a, org_b):
    """Three samples of Northwind (heights 49, 51, 53 mm: mean 51, sd 2; ΔE 2, 4, 12: mean 6) and one of
    Helios far off the limits."""
    line = station(org_a, version="1.2.0")
    made = [
        sample(line, 1, minutes_ago=30, score=0.9, grade="A+", height=49.0, delta_e=2.0),
        sample(line, 2, minutes_ago=20, score=0.7, grade="B", height=51.0, delta_e=4.0),
        sample(line, 3, minutes_ago=10, score=0.3, grade="REJECT", height=53.0, delta_e=12.0),
    ]
    foreign = sample(station(org_b, "SQAL_H"), 9, minutes_ago=5, score=0.1, grade="REJECT", height=30.0, delta_e=40.0)
    return made, foreign


def test_figures_and_capability_are_hand_computed_and_equal_the_api(alice, known, client_for):
    made, foreign = known
    response = logged_in(alice).get("/console/quality/")
    assert response.status_code == 200
    ctx = response.context
    assert ctx["figures"]["total_analyses"] == 3
    assert ctx["figures"]["average_quality"] == round((0.9 + 0.7 + 0.3) / 3, 4) == 0.6333
    assert ctx["figures"]["defect_rate"] == 33.33
    assert [(row["grade"], row["count"], row["percent"]) for row in ctx["distribution"]] == [
        ("A+", 1, 33.3),
        ("A", 0, 0.0),
        ("B", 1, 33.3),
        ("C", 0, 0.0),
        ("REJECT", 1, 33.3),
    ]
    process = ctx["process"]
    capability = process["metrics"]["process_capability"]
    # mean 51, sample sd 2: Cp = (55 - 45) / (6 * 2), Cpk = min(55 - 51, 51 - 45) / (3 * 2)
    assert (capability["mean"], capability["std"]) == (51.0, 2.0)
    assert capability["cp"] == round(10 / 12, 4) == 0.8333
    assert capability["cpk"] == round(4 / 6, 4) == 0.6667
    assert capability["capable"] is False
    assert process["metrics"]["color_delta_e"] == 6.0
    assert process["delta_e_above"] is False
    assert process["metrics"]["total_samples"] == 3
    api = client_for(alice).get("/api/dashboard/foie-gras-metrics/?days=7").json()
    assert api["totalSamples"] == 3
    assert {key: api["processCapability"][key] for key in ("cp", "cpk", "mean", "std")} == {
        "cp": 0.8333,
        "cpk": 0.6667,
        "mean": 51.0,
        "std": 2.0,
    }
    assert api["colorDeltaE"] == process["metrics"]["color_delta_e"]

    html = response.content.decode()
    assert '<dd id="process-cp">0.8333' in html
    assert '<dd id="process-cpk">0.6667 <span class="badge bad">not capable</span>' in html
    assert '<dd id="process-mean">51.0 mm</dd>' in html
    assert '<dd id="process-delta-e">6.0</dd>' in html
    # ΔE per sample, oldest first, with its verdict as text
    assert [(p["sample"], p["delta_e"], p["above"]) for p in process["colour"]] == [
        ("S-0001", 2.0, False),
        ("S-0002", 4.0, False),
        ("S-0003", 12.0, True),
    ]
    assert html.count('<tr class="delta-e-row">') == 3
    assert "<td>12.000</td><td>above</td>" in html and "<td>4.000</td><td>within</td>" in html
    # the latest samples, newest first, grade as text
    assert [s.sample_id for s in ctx["samples"]] == ["S-0003", "S-0002", "S-0001"]
    assert f'id="sample-{made[2].pk}"' in html and '<span class="badge grade grade-reject">REJECT</span>' in html
    # the other organization's sample and station are nowhere
    assert foreign.sample_id not in html and "SQAL_H" not in html and f"sample-{foreign.pk}" not in html


def test_capability_runs_and_chart_data(alice, org_a, monkeypatch):
    monkeypatch.setattr(quality_views, "SUBGROUP", 3)
    line = station(org_a)
    heights = [49.0, 51.0, 53.0, 45.0, 50.0, 55.0, 50.0]
    for number, height in enumerate(heights):
        sample(line, number, minutes_ago=100 - number, height=height, delta_e=float(number))
    response = logged_in(alice).get("/console/quality/")
    runs = response.context["process"]["runs"]
    assert [(r["count"], r["mean"], r["std"], r["cp"], r["cpk"], r["capable"]) for r in runs] == [
        (3, 51.0, 2.0, 0.8333, 0.6667, False),  # 49 51 53
        (3, 50.0, 5.0, 0.3333, 0.3333, False),  # 45 50 55: sd 5
        (1, 50.0, None, None, None, None),  # one value: no spread to judge
    ]
    html = response.content.decode()
    data = json.loads(html.split('<script id="quality-chart-data" type="application/json">')[1].split("</script>")[0])
    assert data["capability"]["cp"] == [0.8333, 0.3333, None]
    assert data["capability"]["cpk"] == [0.6667, 0.3333, None]
    assert (data["capability"]["capable"], data["capability"]["alert"]) == (1.33, 1.0)
    assert data["delta_e"]["values"] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert data["delta_e"]["limit"] == 8.0
    assert len(data["capability"]["labels"]) == 3 and len(data["delta_e"]["labels"]) == 7
    assert html.count('<tr class="capability-row">') == 3
    assert "<td>1</td><td>50.0</td><td>—</td><td>—</td><td>—</td><td>—</td>" in html
    # the whole period's figure is the API selector's over all seven heights
    mean = sum(heights) / 7
    std = math.sqrt(sum((h - mean) ** 2 for h in heights) / 6)
    assert response.context["process"]["metrics"]["process_capability"]["cp"] == round(10 / (6 * std), 4)


def test_period_limits_the_capability_figures(alice, org_a):
    line = station(org_a)
    sample(line, 1, minutes_ago=60 * 24 * 3, height=40.0)  # three days ago
    sample(line, 2, minutes_ago=10, height=50.0)
    sample(line, 3, minutes_ago=5, height=52.0)
    client = logged_in(alice)
    one_day = client.get("/console/quality/?days=1").context["process"]
    assert one_day["days"] == 1
    assert one_day["metrics"]["total_samples"] == 2
    assert one_day["metrics"]["process_capability"]["mean"] == 51.0
    week = client.get("/console/quality/?days=7").context["process"]
    assert week["metrics"]["total_samples"] == 3
    assert week["metrics"]["process_capability"]["mean"] == round((40 + 50 + 52) / 3, 3)


def test_no_samples_shows_dashes_and_empty_tables(alice):
    response = logged_in(alice).get("/console/quality/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<dd id="process-cp">—' in html and '<dd id="process-delta-e">—</dd>' in html
    assert "No samples yet." in html and "No heights in this period." in html and "No OTA campaigns." in html


@pytest.mark.parametrize("days", ["0", "367", "abc", "-1", "7.5", "²", "1000"])
def test_bad_period_is_400_with_a_clear_message(alice, days):
    response = logged_in(alice).get("/console/quality/", {"days": days})
    assert response.status_code == 400
    assert "days: a whole number of days from 1 to 366." in response.content.decode()


def test_rows_answer_only_the_organizations_samples_newest_first(alice, known):
    made, foreign = known
    client = logged_in(alice)
    ids = ",".join(str(s.pk) for s in (made[0], foreign, made[2]))
    response = client.get("/console/quality/rows/", {"ids": ids}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert [s.sample_id for s in response.context["samples"]] == ["S-0003", "S-0001"]
    assert html.index(f'id="sample-{made[2].pk}"') < html.index(f'id="sample-{made[0].pk}"')
    assert html.count("<tr") == 2 and foreign.sample_id not in html
    stamp = made[2].timestamp
    assert f'data-t="{int(stamp.timestamp())}{stamp.microsecond:06d}"' in html
    only_foreign = client.get("/console/quality/rows/", {"ids": str(foreign.pk)})
    assert only_foreign.status_code == 200 and "<tr" not in only_foreign.content.decode()


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ("", "ids: name at least one sample id."),
        ("not-a-uuid", "ids: sample ids are UUIDs, separated by commas."),
        (f"{uuid.UUID(int=1)},1 OR 1=1", "ids: sample ids are UUIDs, separated by commas."),
        (",".join(str(uuid.UUID(int=n)) for n in range(1, 52)), "ids: at most 50 sample ids."),
    ],
)
def test_rows_refuse_bad_ids(alice, ids, message):
    response = logged_in(alice).get("/console/quality/rows/", {"ids": ids})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_rows_and_page_need_a_console_login(known):
    made, _ = known
    anonymous = Client()
    response = anonymous.get("/console/quality/rows/", {"ids": str(made[0].pk)}, HTTP_HX_REQUEST="true")
    assert (response.status_code, response["HX-Redirect"]) == (401, "/console/login/")
    assert anonymous.get("/console/quality/")["Location"] == "/console/login/?next=/console/quality/"


def test_a_person_in_two_organizations_sees_only_the_current_ones_rows(alice, known, org_b):
    from custos.orgs.tests.factories import membership

    made, foreign = known
    membership(user=alice, organization=org_b, role="MEMBER")
    client = logged_in(alice)
    ids = f"{made[1].pk},{foreign.pk}"
    first = client.get("/console/quality/rows/", {"ids": ids}).context["samples"]  # Helios comes first by name
    assert [s.sample_id for s in first] == [foreign.sample_id]
    client.post("/console/organization/", {"organization": str(made[1].organization_id), "next": "/console/quality/"})
    switched = client.get("/console/quality/rows/", {"ids": ids}).context["samples"]
    assert [s.sample_id for s in switched] == ["S-0002"]
    page = client.get("/console/quality/").content.decode()
    assert "SQAL_H" not in page and foreign.sample_id not in page


def _version(org, text):
    return FirmwareVersion.objects.create(
        organization=org,
        version=text,
        major=int(text.split(".")[0]),
        minor=int(text.split(".")[1]),
        patch=int(text.split(".")[2]),
        name=f"Station {text}",
        file=ContentFile(b"image", name="x.bin"),
        file_name="x.bin",
        file_size=5,
        sha256="0" * 64,
    )


def test_stations_firmware_and_ota_progress_counts(alice, org_a, org_b):
    devices = [station(org_a, f"ST_{n:02d}", version="0.9.0") for n in range(1, 6)]
    silent = station(org_a, "ST_SILENT")  # no version reported, but it sent a sample
    sample(silent, 1, minutes_ago=3)
    Device.objects.create(organization=org_a, device_id="TEMP_1", device_type="temperature_sensor")  # not a station
    station(org_b, "ST_FOREIGN", version="7.7.7")
    target = _version(org_a, "1.0.0")
    campaign = firmware.ota_update_create(
        WriteContext.system(organization_id=org_a.pk),
        data={
            "firmware_version_id": target.pk,
            "target_devices": [d.device_id for d in devices],
            "name": "Spring rollout",
            "failure_threshold_percent": 100,
        },
    )

    def report(device, *statuses):
        for status in statuses:
            reply = ota.record_progress(
                device, {"type": "ota_progress", "update_id": str(campaign.pk), "status": status}
            )
            assert reply["type"] == "ota_progress_ack", reply

    report(devices[0], "downloading", "installing", "completed")
    report(devices[1], "downloading", "installing", "completed")
    report(devices[2], "downloading", "failed")
    report(devices[3], "downloading")
    # devices[4] stays pending
    foreign_version = _version(org_b, "7.7.8")
    firmware.ota_update_create(
        WriteContext.system(organization_id=org_b.pk),
        data={"firmware_version_id": foreign_version.pk, "target_devices": ["ST_FOREIGN"], "name": "Helios push"},
    )

    response = logged_in(alice).get("/console/quality/")
    ctx = response.context
    assert [(row["device"].device_id, row["firmware_version"]) for row in ctx["stations"]] == [
        ("ST_01", "0.9.0"),
        ("ST_02", "0.9.0"),
        ("ST_03", "0.9.0"),
        ("ST_04", "0.9.0"),
        ("ST_05", "0.9.0"),
        ("ST_SILENT", None),
    ]
    assert ctx["station_count"] == 6
    [shown] = ctx["campaigns"]
    assert shown["firmware_version"] == "1.0.0" and shown["status"] == "in_progress"
    assert shown["total_devices"] == 5
    assert dict(shown["stats"]) == {
        "pending": 1,
        "downloading": 1,
        "installing": 0,
        "completed": 2,
        "failed": 1,
        "cancelled": 0,
    }
    assert shown["progress"] == 60.0  # 3 finished of 5
    html = response.content.decode()
    assert (
        "<td>Spring rollout</td><td>1.0.0</td><td>in_progress</td><td>5</td><td>1</td><td>1</td><td>0</td>"
        "<td>2</td><td>1</td><td>0</td>"
    ) in html
    assert '<span class="progress-text">60.0 %</span>' in html
    assert '<td class="firmware">not reported</td>' in html
    assert "ST_FOREIGN" not in html and "7.7.7" not in html and "Helios push" not in html and "TEMP_1" not in html


@pytest.mark.skipif(not CHART_JS.is_file(), reason="chart.js not installed (make install with npm)")
def test_chart_library_is_served_and_included_when_installed(alice):
    assert finders.find("console/vendor/chart.umd.min.js") == str(CHART_JS)
    html = logged_in(alice).get("/console/quality/").content.decode()
    assert '<script src="/static/console/vendor/chart.umd.min.js" defer></script>' in html
    assert 'id="capability-chart"' in html and 'id="delta-e-chart"' in html
    assert '<details id="capability-table">' in html  # the figures stay one click away


def test_without_the_chart_library_the_tables_are_open(alice, monkeypatch, tmp_path, settings):
    settings.BASE_DIR = tmp_path  # no console/node_modules there
    html = logged_in(alice).get("/console/quality/").content.decode()
    assert "chart.umd.min.js" not in html and "<canvas" not in html
    assert '<details id="capability-table" open>' in html and '<details id="delta-e-table" open>' in html
    assert '<script src="/static/console/quality.js" defer></script>' in html
