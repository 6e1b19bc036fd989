"""Service information, health, metrics, docs and request ids."""

from __future__ import annotations

import pytest
import yaml

from custos.ops import checks
from custos.ops.checks import CheckResult

pytestmark = pytest.mark.django_db


def test_root_lists_service_and_links(api_client):
    response = api_client.get("/")
    assert response.status_code == 200
    body = response.json()
    assert (body["service"], body["status"], body["version"]) == ("custos", "ok", "0.1.0")
    assert body["links"]["health"] == "http://testserver/health/"
    assert body["links"]["schema"] == "http://testserver/api/schema/"


@pytest.mark.parametrize("path", ["/api/health/", "/api/health"])
def test_liveness(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "custos"}


@pytest.mark.parametrize(("path", "ok_status"), [("/api/health/detailed/", "healthy"), ("/health/", "ok")])
def test_readiness_checks_every_dependency(api_client, path, ok_status):
    response = api_client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == ok_status
    assert {name: body["checks"][name] for name in ("database", "cache", "queue", "celery")} == {
        "database": "ok",
        "cache": "ok",
        "queue": "ok",
        "celery": "ok",
    }
    assert set(body["latency_ms"]) == {"database", "cache", "queue"}


@pytest.mark.parametrize(("path", "bad_status"), [("/api/health/detailed/", "unhealthy"), ("/health/", "error")])
def test_readiness_is_503_when_a_dependency_fails(api_client, monkeypatch, path, bad_status):
    monkeypatch.setitem(checks.CHECKS, "queue", lambda: CheckResult(False, "ConnectionRefusedError: refused", 1.0))
    response = api_client.get(path)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == bad_status
    assert body["checks"]["queue"] == "error: ConnectionRefusedError: refused"
    assert body["checks"]["celery"] == "error: ConnectionRefusedError: refused"
    assert body["checks"]["database"] == "ok"


def test_database_check_reports_a_real_failure(monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise RuntimeError("database is gone")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    result = checks.check_database()
    assert (result.ok, result.detail) == (False, "RuntimeError: database is gone")


def test_metrics_are_prometheus_text(api_client):
    api_client.get("/api/health/")
    response = api_client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert 'django_http_responses_total_by_status_total{status="200"}' in text


def test_schema_yaml_and_json(api_client):
    yaml_response = api_client.get("/api/schema/")
    assert yaml_response.status_code == 200
    document = yaml.safe_load(yaml_response.content)
    assert document["openapi"].startswith("3.")
    assert "/api/health/" in document["paths"]
    assert "/api/health" not in document["paths"], "the other slash form is the same operation"
    json_response = api_client.get("/api/schema/?format=json")
    assert json_response.json()["paths"].keys() == document["paths"].keys()
    assert api_client.get("/swagger.json").json()["paths"].keys() == document["paths"].keys()


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/", "/swagger/", "/redoc/"])
def test_documentation_pages(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 200
    assert b"<html" in response.content.lower()


def test_request_id_is_generated_and_a_valid_one_is_kept(api_client):
    generated = api_client.get("/api/health/")["X-Request-ID"]
    assert len(generated) == 32
    assert api_client.get("/api/health/", HTTP_X_REQUEST_ID="lb-req-12345678")["X-Request-ID"] == "lb-req-12345678"
    replaced = api_client.get("/api/health/", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]
    assert replaced != "bad id\nwith newline" and len(replaced) == 32


def test_unknown_route_is_json_404_in_the_dialect_of_its_prefix(api_client):
    response = api_client.get("/no/such/route/")
    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})
    response = api_client.get("/api/access/no-such/")
    assert (response.status_code, response.json()) == (404, {"error": "Not found.", "details": {}})


def test_wrong_method_is_405_in_the_dialect(api_client):
    response = api_client.post("/health/")
    assert response.status_code == 405
    assert response.json() == {"error": 'Method "POST" not allowed.', "details": {}}


def test_admin_login_page_and_static_files(client):
    assert client.get("/admin/login/").status_code == 200
    assert client.get("/static/admin/css/base.css").status_code == 200


def test_metrics_report_jobs_by_state_from_the_results_table(api_client):
    from django_celery_results.models import TaskResult

    TaskResult.objects.create(task_id="a", status="SUCCESS")
    TaskResult.objects.create(task_id="b", status="SUCCESS")
    TaskResult.objects.create(task_id="c", status="FAILURE")
    text = api_client.get("/metrics").content.decode()
    assert 'custos_jobs{state="SUCCESS"} 2.0' in text
    assert 'custos_jobs{state="FAILURE"} 1.0' in text


def test_scaled_mode_reports_redis(api_client, settings):
    body = api_client.get("/api/health/detailed/").json()
    expected = "ok" if settings.REDIS_URL else "not configured (embedded cache)"
    assert body["checks"]["redis"] == expected
