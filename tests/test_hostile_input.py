"""Hostile bodies and parameters on one write route of every dialect: each is a 4xx in that dialect's
envelope and changes nothing (no row, no audit row). Size and nesting bounds are in test_hardening.py;
rasters in custos/modules/pipelines/tests/test_imagery_limits.py."""

from __future__ import annotations

import pytest

from custos.api.testing import assert_error_envelope
from custos.audit.models import AuditLog
from custos.devices.models import Device
from custos.jobs.models import Job
from custos.modules.pipelines.models import Pipeline
from custos.modules.plm.models import DesignSeries
from custos.orgs.models import Organization

pytestmark = pytest.mark.django_db

ROUTE = '{"type": "LineString", "coordinates": [[13.0, 45.0], [13.1, 45.0]]}'
# (dialect, path, a valid body with {name} where the hostile value goes, the model a success would add)
ROUTES = [
    (
        "pipeline",
        "/api/pipelines/",
        '{"name": %s, "diameter_mm": 300, "material": "steel", "route": ' + ROUTE + "}",
        Pipeline,
    ),
    ("access", "/tasks/", '{"type": "add", "x": %s, "y": 2}', Job),
    ("twin", "/api/devices", '{"device_id": %s, "device_type": "temperature_sensor"}', Device),
    ("enginel", "/api/series/", '{"part_number": %s, "name": "Bracket"}', DesignSeries),
    ("sqal", "/api/organizations/?limit=10", '{"name": %s}', Organization),
]
HOSTILE = {
    "malformed": None,  # the body is cut in the middle
    "nan": "NaN",
    "infinity": "Infinity",
    "huge number": "1e999",
    "nul character": '"a\\u0000b"',
    "wrong type": "[1, 2, {}]",
    "object": '{"$where": "1"}',
}


def assert_refused(response, dialect: str) -> None:
    """A 4xx in the dialect's envelope; the pipeline document's validation errors are ``{field: [msg]}``."""
    assert response.status_code in (400, 422), (response.status_code, response.content[:300])
    body = response.json()
    if dialect == "pipeline" and "detail" not in body:
        assert body and all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in body.values())
        return
    assert_error_envelope(response, status=response.status_code, dialect=dialect)


def _body(template: str, case: str) -> bytes:
    value = HOSTILE[case]
    if value is None:
        whole = template.replace("%s", '"x"').encode()
        return whole[: len(whole) // 2]
    return (template % value).encode()


@pytest.mark.parametrize("case", list(HOSTILE))
@pytest.mark.parametrize(("dialect", "path", "template", "model"), ROUTES, ids=[r[0] for r in ROUTES])
def test_a_hostile_body_is_a_4xx_in_the_dialects_envelope_and_changes_nothing(
    alice, client_for, dialect, path, template, model, case
):
    rows, audit = model.objects.count(), AuditLog.objects.count()
    response = client_for(alice).generic("POST", path, _body(template, case), content_type="application/json")
    assert_refused(response, dialect)
    assert (model.objects.count(), AuditLog.objects.count()) == (rows, audit)


@pytest.mark.parametrize(("dialect", "path", "template", "model"), ROUTES, ids=[r[0] for r in ROUTES])
def test_a_repeated_key_is_ambiguous_and_refused(alice, client_for, dialect, path, template, model):
    body = (template % '"first"').replace("{", '{"name": "x", "name": "y", ', 1).encode()
    rows = model.objects.count()
    response = client_for(alice).generic("POST", path, body, content_type="application/json")
    assert_refused(response, dialect)
    assert b"appears twice" in response.content
    assert model.objects.count() == rows


@pytest.mark.parametrize(
    "path",
    [
        "/reports/../../etc/passwd",
        "/reports/..%2f..%2fsecret_key",
        "/exports/%2e%2e/%2e%2e/custos.sqlite3",
        "/exports/....//....//secret_key",
    ],
)
def test_download_paths_cannot_leave_their_folder(alice, client_for, path):
    response = client_for(alice).get(path)
    assert response.status_code in (400, 404), (path, response.status_code)
    assert b"SECRET" not in response.content.upper() or response.status_code == 404


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/pipelines/", {"ordering": "__class__,-;drop table x", "page_size": "-1"}),
        ("/api/series/", {"ordering": "../../etc", "page_size": "999999999"}),
        ("/api/audit-logs/", {"ordering": "'; --", "page": "0"}),
        ("/api/organizations/", {"skip": "-5", "limit": "abc"}),
        ("/api/devices", {"limit": "1e9", "offset": "-1"}),
    ],
)
def test_absurd_ordering_and_paging_are_never_a_server_error(alice, client_for, path, params):
    response = client_for(alice).get(path, params)
    assert response.status_code < 500, (path, response.status_code, response.content[:300])


@pytest.mark.parametrize(
    ("dialect", "path", "body", "model"),
    [
        ("pipeline", "/api/pipelines/", {"name": "L", "diameter_mm": 300, "material": "steel"}, Pipeline),
        ("enginel", "/api/series/", {"part_number": "P-1", "name": "Bracket"}, DesignSeries),
        ("enginel", "/api/organizations/", {"name": "Long"}, Organization),
    ],
    ids=["pipeline", "series", "organization"],
)
def test_free_text_is_capped(alice, client_for, dialect, path, body, model):
    rows = model.objects.count()
    response = client_for(alice).post(path, {**body, "description": "x" * 5001}, format="json")
    assert_refused(response, dialect)
    assert model.objects.count() == rows
