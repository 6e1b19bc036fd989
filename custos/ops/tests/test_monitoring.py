"""Monitoring from real recorded requests and errors; ``/api/system_metrics`` from psutil and real checks."""

from __future__ import annotations

import uuid

import pytest

from custos.ops import request_metrics, selectors, services
from custos.ops.middleware import route_of
from custos.ops.models import ErrorEvent
from custos.ops.request_metrics import RouteStats, recorder
from custos.ops.services import websocket_connected, websocket_disconnected

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_metrics(monkeypatch):
    # Keys of this test only: other test runs may share the cache (scaled mode, one Redis).
    unique = uuid.uuid4().hex
    monkeypatch.setattr(request_metrics, "_PREFIX", f"test:{unique}:rm")
    monkeypatch.setattr(request_metrics, "REGISTRY_KEY", f"test:{unique}:processes")
    monkeypatch.setattr(services, "WEBSOCKET_COUNTER_KEY", f"test:{unique}:ws")
    recorder.reset()
    yield
    recorder.reset()


def test_monitoring_is_staff_only(client_for, alice):
    client = client_for(alice)
    for path in ("/api/monitoring/dashboard/", "/api/monitoring/errors/", "/api/monitoring/performance/"):
        response = client.get(path)
        assert response.status_code == 403
        assert response.json()["code"] == "PERMISSION_DENIED"


def test_performance_counts_the_requests_served(client_for, staff, alice):
    client = client_for(alice)
    for _ in range(3):
        assert client.get("/api/users/me/").status_code == 200
    assert client.get("/api/users/00000000-0000-4000-8000-000000000001/").status_code == 404
    body = client_for(staff).get("/api/monitoring/performance/", {"hours": 1}).json()
    rows = {(row["method"], row["endpoint"]): row for row in body["endpoints"]}
    me = rows[("GET", "/api/users/me/")]
    assert (me["count"], me["server_errors"], me["client_errors"]) == (3, 0, 0)
    assert me["p95_ms"] >= me["avg_ms"] > 0
    detail = rows[("GET", "/api/users/{pk}/")]
    assert (detail["count"], detail["client_errors"]) == (1, 1)
    assert body["total_requests"] == 4
    assert body["status_codes"] == {"200": 3, "404": 1}


def test_errors_are_recorded_and_listed(client_for, staff, monkeypatch):
    def broken():
        raise RuntimeError("psutil exploded")

    monkeypatch.setattr(selectors, "machine", broken)
    client = client_for(staff)
    client.raise_request_exception = False
    assert client.get("/api/system_metrics").status_code == 500
    event = ErrorEvent.objects.get()
    assert (event.status_code, event.route, event.exception_type, event.message) == (
        500,
        "/api/system_metrics",
        "builtins.RuntimeError",
        "psutil exploded",
    )
    assert "psutil exploded" in event.traceback
    body = client.get("/api/monitoring/errors/", {"hours": 24}).json()
    assert (body["hours"], body["total"], body["by_status"], body["by_type"]) == (
        24,
        1,
        {"500": 1},
        {"builtins.RuntimeError": 1},
    )
    assert body["errors"][0]["path"] == "/api/system_metrics"
    assert body["errors"][0]["user_id"] == str(staff.pk)


def test_errors_hours_is_validated(client_for, staff):
    response = client_for(staff).get("/api/monitoring/errors/", {"hours": 0})
    assert response.status_code == 400
    assert response.json()["field_errors"] == {"hours": ["Ensure this value is greater than or equal to 1."]}


def test_dashboard(client_for, staff, alice):
    client_for(alice).get("/api/users/me/")
    body = client_for(staff).get("/api/monitoring/dashboard/").json()
    assert body["requests"]["last_hour"]["total_requests"] == 1
    assert len(body["requests"]["per_minute"]) == 60
    assert body["requests"]["per_minute"][-1]["requests"] == 1
    assert body["services"]["database"] == "ok"
    assert body["errors"]["last_24h"] == 0
    assert 0 <= body["system"]["memory_percent"] <= 100


def test_system_metrics(client_for, alice):
    websocket_connected()
    websocket_connected()
    websocket_disconnected()
    response = client_for(alice).get("/api/system_metrics")
    assert response.status_code == 200
    body = response.json()
    assert (body["cache_available"], body["database_available"], body["celery_available"]) == (True, True, True)
    assert body["active_connections"] == 1
    for name in ("cpu_percent", "memory_percent", "disk_percent"):
        assert 0 <= body[name] <= 100


def test_system_metrics_needs_a_login(api_client):
    response = api_client.get("/api/system_metrics")
    assert response.status_code == 401
    assert response.json()["error"] == "Authentication failed"


def test_histogram_percentiles():
    stats = RouteStats()
    for ms in (1, 2, 3, 4, 30, 40, 60, 70, 80, 900):
        stats.add(200, ms)
    assert (stats.count, stats.percentile_ms(0.5), stats.percentile_ms(0.95), stats.max_ms) == (10, 50.0, 900.0, 900)


def test_route_templates():
    class Match:
        route = "^api/organizations/(?P<pk>[^/.]+)/members/$"

    class Request:
        resolver_match = Match()

    assert route_of(Request()) == "/api/organizations/{pk}/members/"


def test_old_errors_are_pruned_by_the_retention_setting(run_jobs_inline):
    from datetime import timedelta

    from django.utils import timezone

    from custos.ops.models import SystemSettings
    from custos.ops.tasks import prune_error_events

    record = SystemSettings.load()
    record.log_retention_days = 7
    record.save()
    old = ErrorEvent.objects.create(method="GET", path="/old", status_code=500)
    ErrorEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    recent = ErrorEvent.objects.create(method="GET", path="/recent", status_code=502)
    assert prune_error_events.delay().get() == 1
    assert list(ErrorEvent.objects.values_list("pk", flat=True)) == [recent.pk]


def test_periodic_tasks_are_scheduled():
    # The schedules are created by data migrations; a flushed test database has lost them, so run them again.
    import importlib

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    for module in (
        "custos.audit.migrations.0003_verify_chain_schedule",
        "custos.ops.migrations.0003_prune_errors_schedule",
    ):
        create = importlib.import_module(module).Migration.operations[0].code
        create(apps, None)
        create(apps, None)  # idempotent
    tasks = list(PeriodicTask.objects.values_list("task", flat=True))
    assert tasks.count("custos.audit.verify_chain") == tasks.count("custos.ops.prune_error_events") == 1
