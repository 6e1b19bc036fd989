"""Schedules: next-run arithmetic, due runs started by the beat task at fixed times (no sleeps), the
generated report e-mailed with its file attached, validation."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core import mail

from custos.jobs.models import Job, JobStatus
from custos.kernel.context import WriteContext
from custos.reports import services
from custos.reports.models import Report, ScheduledReport
from custos.reports.schedule import Recurrence, next_run

pytestmark = pytest.mark.django_db


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("rule", "after", "expected"),
    [
        (Recurrence("daily", 6, 30), at(2026, 3, 10, 6, 29), at(2026, 3, 10, 6, 30)),
        (Recurrence("daily", 6, 30), at(2026, 3, 10, 6, 30), at(2026, 3, 11, 6, 30)),  # strictly after
        (Recurrence("daily", 0, 0), at(2026, 12, 31, 23, 59), at(2027, 1, 1, 0, 0)),
        (Recurrence("weekly", 7, 0, day_of_week=0), at(2026, 3, 10, 12, 0), at(2026, 3, 16, 7, 0)),  # Tue -> Mon
        (Recurrence("weekly", 7, 0, day_of_week=1), at(2026, 3, 10, 6, 0), at(2026, 3, 10, 7, 0)),  # same day
        (Recurrence("weekly", 7, 0, day_of_week=1), at(2026, 3, 10, 7, 0), at(2026, 3, 17, 7, 0)),
        (Recurrence("monthly", 8, 0, day_of_month=31), at(2026, 2, 1, 0, 0), at(2026, 2, 28, 8, 0)),  # clamped
        (Recurrence("monthly", 8, 0, day_of_month=31), at(2028, 2, 29, 9, 0), at(2028, 3, 31, 8, 0)),
        (Recurrence("monthly", 8, 0, day_of_month=15), at(2026, 12, 20, 0, 0), at(2027, 1, 15, 8, 0)),
    ],
)
def test_next_run(rule, after, expected):
    assert next_run(rule, after=after) == expected


def _schedule(alice, org_a, **data):
    body = {
        "name": "Daily quality",
        "report_type": "quality_summary",
        "format": "json",
        "frequency": "daily",
        "hour": 6,
        "minute": 0,
        "recipients": ["QA@northwind.example", "plant@northwind.example"],
        **data,
    }
    return services.schedule_create(
        WriteContext.for_user(alice, organization_id=org_a.pk), data=body, now=at(2026, 3, 10, 12, 0)
    )


def test_due_schedule_runs_once_generates_and_emails_the_file(
    alice, org_a, samples, media, jobs_inline, django_capture_on_commit_callbacks
):
    schedule = _schedule(alice, org_a, days=30)
    assert schedule.next_run_at == at(2026, 3, 11, 6, 0)
    assert schedule.recipients == ["plant@northwind.example", "qa@northwind.example"]
    assert services.schedules_run_due(now=at(2026, 3, 11, 5, 59)) == []  # not yet
    with jobs_inline():
        started = services.schedules_run_due(now=at(2026, 3, 11, 6, 0, 30))
    assert len(started) == 1
    report = Report.objects.get(pk=started[0])
    assert (report.status, report.scheduled_report_id, report.created_by_id) == ("completed", schedule.pk, alice.pk)
    assert (report.period_start, report.period_end) == (at(2026, 2, 9, 6, 0, 30), at(2026, 3, 11, 6, 0, 30))
    assert Job.objects.get(pk=report.job_id).status == JobStatus.SUCCESS
    schedule.refresh_from_db()
    assert (schedule.last_run_at, schedule.next_run_at) == (at(2026, 3, 11, 6, 0, 30), at(2026, 3, 12, 6, 0))

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["plant@northwind.example", "qa@northwind.example"]
    assert message.subject == f"[Custos] {report.name}"
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == (report.filename, "application/json")
    assert json.loads(content)["report"] == "quality_summary"
    assert Report.objects.get(pk=report.pk).emailed_to == message.to

    with jobs_inline():  # a second beat at the same moment finds nothing due
        assert services.schedules_run_due(now=at(2026, 3, 11, 6, 0, 30)) == []
    assert Report.objects.count() == 1 and len(mail.outbox) == 1


def test_missed_runs_are_not_replayed_and_inactive_schedules_never_run(alice, org_a, media, jobs_inline):
    schedule = _schedule(alice, org_a)
    paused = _schedule(alice, org_a, name="Paused", is_active=False)
    assert paused.next_run_at is None
    with jobs_inline():
        started = services.schedules_run_due(now=at(2026, 3, 20, 9, 0))  # nine days late
    assert len(started) == 1
    schedule.refresh_from_db()
    assert schedule.next_run_at == at(2026, 3, 21, 6, 0)


def test_the_beat_task_is_installed_by_the_migration():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="custos.reports.run_due_schedules")
    assert (task.interval.every, task.interval.period, task.enabled) == (1, "minutes", True)


def test_api_creates_validates_and_updates_schedules(client_for, amir, org_a, media):
    client = client_for(amir)
    response = client.post(
        "/api/reports/scheduled/",
        {
            "name": "Weekly",
            "reportType": "twin_health",
            "format": "pdf",
            "frequency": "weekly",
            "dayOfWeek": 0,
            "time": "07:15",
            "recipients": ["ops@northwind.example"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["time"], data["hour"], data["minute"], data["dayOfWeek"], data["dayOfMonth"]) == (
        "07:15",
        7,
        15,
        0,
        None,
    )
    next_run_at = datetime.fromisoformat(data["nextRunAt"].replace("Z", "+00:00"))
    assert next_run_at.weekday() == 0 and (next_run_at.hour, next_run_at.minute) == (7, 15)

    response = client.patch(
        f"/api/reports/scheduled/{data['id']}", {"frequency": "monthly", "dayOfMonth": 31}, format="json"
    )
    assert response.status_code == 200, response.content
    updated = response.json()["data"]
    assert (updated["frequency"], updated["dayOfMonth"], updated["dayOfWeek"]) == ("monthly", 31, None)
    assert response.json()["data"]["reportType"] == "twin_health"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recipients": ["not-an-address"]}, "recipients"),
        ({"recipients": []}, "recipients"),
        ({"frequency": "weekly"}, "day_of_week"),
        ({"frequency": "monthly", "dayOfMonth": 32}, "day_of_month"),
        ({"frequency": "hourly"}, "frequency"),
        ({"time": "25:00"}, "time"),
        ({"reportType": "unknown"}, "report_type"),
        ({"filters": {"grade": "Q"}}, "filters"),
    ],
)
def test_bad_schedules_are_422_and_create_nothing(client_for, amir, body, field):
    payload = {
        "name": "S",
        "reportType": "quality_summary",
        "frequency": "daily",
        "recipients": ["a@b.example"],
        **body,
    }
    response = client_for(amir).post("/api/reports/scheduled/", payload, format="json")
    assert response.status_code == 422, response.content
    locations = [".".join(map(str, item["loc"])) for item in response.json()["detail"]]
    assert any(field in location for location in locations), locations
    assert not ScheduledReport.objects.exists()


def test_demo_loader_makes_a_weekly_schedule_and_runs_it_once(media, jobs_inline):
    from conftest import make_user
    from custos.orgs.tests.factories import organization
    from custos.reports.demo import load_reports

    northwind = organization(name="Northwind Energy", slug="northwind-energy")
    make_user("owner.northwind@example.com", organization=northwind, role="OWNER")
    with jobs_inline():
        summary = load_reports()
    assert "1 run started" in summary
    schedule = ScheduledReport.objects.get(organization=northwind)
    assert (schedule.frequency, schedule.day_of_week, schedule.hour) == ("weekly", 0, 7)
    assert Report.objects.get(scheduled_report=schedule).status == "completed"
    assert mail.outbox[0].to == ["owner.northwind@example.com"]
    with jobs_inline():
        assert "0 run started" in load_reports()  # idempotent
    assert ScheduledReport.objects.count() == 1
