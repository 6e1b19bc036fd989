"""Hardening of the HTTP edge: bounded bodies (size before reading, nesting depth), bounded paging
numbers, dialect envelopes for unknown URLs and crashes, and who may read ``/metrics``."""

from __future__ import annotations

import io

import orjson
import pytest
from django.test import Client
from rest_framework.exceptions import ParseError

from conftest import PASSWORD
from custos.api.errors import PayloadTooLarge
from custos.api.parsers import CamelCaseORJSONParser, ORJSONParser, json_depth_exceeds
from custos.audit.models import AuditLog
from custos.identity.models import User

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


class CountingInput:
    """A WSGI input that records how much of the body the server read."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        chunk = min(self.size - self.read_bytes, size if size >= 0 else self.size)
        self.read_bytes += chunk
        return b" " * chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# --- a. request bodies ------------------------------------------------------------------------------


def test_an_anonymous_300_mb_login_is_refused_without_reading_it(api_client):
    body = CountingInput(300 * MIB)
    response = api_client.generic(
        "POST",
        "/api/auth/login",
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(300 * MIB),
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    assert response.json() == {
        "error": "Payload too large",
        "message": f"The request body is larger than {2 * MIB} bytes.",
        "max_bytes": 2 * MIB,
    }
    assert body.read_bytes == 0
    assert response["Connection"] == "close"
    assert not AuditLog.objects.exists(), "no login attempt was recorded"


@pytest.mark.urls("tests.hardening_urls")
@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("pipeline", {"detail": "The request body is larger than 1024 bytes.", "max_bytes": 1024}),
        ("access", {"error": "The request body is larger than 1024 bytes.", "details": {}, "max_bytes": 1024}),
        (
            "enginel",
            {
                "error": "Payload too large",
                "detail": "The request body is larger than 1024 bytes.",
                "code": "PAYLOAD_TOO_LARGE",
                "field_errors": {},
                "max_bytes": 1024,
            },
        ),
        ("sqal", {"detail": "The request body is larger than 1024 bytes.", "max_bytes": 1024}),
    ],
)
def test_the_json_bound_is_a_setting_and_answers_in_the_dialects_envelope(api_client, settings, dialect, expected):
    settings.CUSTOS_MAX_JSON_BODY_BYTES = 1024
    fits = orjson.dumps({"name": "a", "count": 1, "pad": "x" * 900})
    assert len(fits) <= 1024
    assert api_client.post(f"/{dialect}/echo/", fits, content_type="application/json").status_code == 200
    too_big = orjson.dumps({"name": "a", "count": 1, "pad": "x" * 1100})
    response = api_client.post(f"/{dialect}/echo/", too_big, content_type="application/json")
    assert (response.status_code, response.json()) == (413, expected)


def test_the_parser_bounds_a_body_without_a_declared_length(settings):
    settings.CUSTOS_MAX_JSON_BODY_BYTES = 1024
    stream = io.BytesIO(b'{"pad": "' + b"x" * 5000 + b'"}')
    with pytest.raises(PayloadTooLarge):
        ORJSONParser().parse(stream, parser_context={})
    assert stream.tell() == 1025, "read one byte past the bound, no more"
    assert ORJSONParser().parse(io.BytesIO(b'{"a": 1}'), parser_context={}) == {"a": 1}


def test_multipart_uploads_keep_the_upload_limit(api_client, settings):
    settings.CUSTOS_MAX_JSON_BODY_BYTES = 1024
    from custos.ops.services import upload_limit_bytes

    limit = upload_limit_bytes() + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = CountingInput(limit + 2 * MIB)
    response = api_client.generic(
        "POST",
        "/api/satellite-images/",
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(limit + 2 * MIB),
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    assert response.json()["max_bytes"] == limit
    assert body.read_bytes == 0
    # below the upload limit a multipart body is not refused for its size (JSON's bound does not apply)
    small = api_client.generic(
        "POST", "/api/satellite-images/", b"--x--\r\n", content_type="multipart/form-data; boundary=x"
    )
    assert small.status_code != 413


@pytest.mark.urls("tests.hardening_urls")
@pytest.mark.parametrize("dialect", ["pipeline", "access", "twin", "enginel", "sqal"])
@pytest.mark.parametrize("depth", [65, 1000, 5000])
def test_deeply_nested_json_is_a_400_never_a_500(api_client, dialect, depth):
    client = Client(raise_request_exception=False)
    response = client.post(f"/{dialect}/echo/", _nested(depth), content_type="application/json")
    assert response.status_code == 400, response.content
    assert "JSON parse error" in response.content.decode()


def test_the_depth_bound_is_exact_and_applies_to_the_camel_case_parser(settings):
    assert ORJSONParser().parse(io.BytesIO(_nested(64)), parser_context={}) == orjson.loads(_nested(64))
    for parser in (ORJSONParser(), CamelCaseORJSONParser()):
        with pytest.raises(ParseError, match="deeper than 64 levels"):
            parser.parse(io.BytesIO(_nested(65)), parser_context={})
        deep_object = b'{"aB":' * 65 + b"1" + b"}" * 65
        with pytest.raises(ParseError, match="deeper than 64 levels"):
            parser.parse(io.BytesIO(deep_object), parser_context={})
    assert CamelCaseORJSONParser().parse(io.BytesIO(b'{"someKey": {"innerKey": 1}}'), parser_context={}) == {
        "some_key": {"inner_key": 1}
    }
    settings.CUSTOS_MAX_JSON_DEPTH = 3
    assert json_depth_exceeds([[[1]]], 3) is False
    assert json_depth_exceeds([[[[1]]]], 3) is True


# --- b. paging numbers -------------------------------------------------------------------------------

HUGE = "99999999999999999999"


@pytest.fixture
def some_users(db):
    for index in range(3):
        User.objects.create_user(email=f"u{index}@example.org", password="a-long-test-password")


@pytest.mark.urls("tests.hardening_urls")
@pytest.mark.parametrize(
    ("dialect", "params", "status"),
    [
        ("pipeline", {"page": HUGE}, 400),
        ("pipeline", {"page": "9" * 5000}, 400),
        ("pipeline", {"page_size": HUGE}, 200),
        ("pipeline", {"page_size": "-5"}, 200),
        ("access", {"page": HUGE}, 400),
        ("access", {"page_size": HUGE}, 200),
        ("enginel", {"page": HUGE}, 400),
        ("enginel", {"page_size": HUGE}, 200),
        ("twin", {"offset": HUGE}, 400),
        ("twin", {"limit": HUGE}, 400),
        ("twin", {"offset": "9" * 5000}, 400),
        ("sqal", {"skip": HUGE}, 422),
        ("sqal", {"limit": HUGE}, 422),
        ("sqal", {"skip": "9" * 5000}, 422),
        ("sqal", {"skip": "-1"}, 422),
    ],
)
def test_absurd_paging_numbers_are_bad_input_never_a_500(some_users, dialect, params, status):
    response = Client(raise_request_exception=False).get(f"/{dialect}/users/", params)
    assert response.status_code == status, response.content


@pytest.mark.urls("tests.hardening_urls")
def test_the_largest_accepted_position_answers_an_empty_page(some_users):
    client = Client(raise_request_exception=False)
    assert client.get("/sqal/users/", {"skip": str(2**31 - 1)}).json()["items"] == []
    assert client.get("/twin/users/", {"offset": str(2**31 - 1)}).json() == []
    sqal = client.get("/sqal/users/", {"skip": str(2**31)})
    assert sqal.status_code == 422
    assert sqal.json()["detail"][0]["loc"][-1] == "skip"
    # a page past the last one stays DRF's 404 in the numbered dialects
    assert client.get("/pipeline/users/", {"page": "7"}).status_code == 404
    assert [row["email"] for row in client.get("/pipeline/users/", {"page_size": HUGE}).json()["results"]] == [
        "u0@example.org",
        "u1@example.org",
        "u2@example.org",
    ]


def test_huge_paging_numbers_on_real_routes(client_for, alice):
    client = client_for(alice)
    assert client.get("/api/admin/audit/", {"skip": HUGE}).status_code in (403, 422)
    assert client.get("/api/activity-logs/", {"page": HUGE}).status_code == 400
    assert client.get("/api/audit-logs/", {"page": HUGE}).status_code == 400
    assert client.get("/api/access/credits/", {"page": HUGE}).status_code == 400
    assert client.get("/api/devices", {"offset": HUGE}).status_code == 400


# --- e. unknown URLs and crashes answer in the dialect's envelope -------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/pipelines/x/y/z/nothing-here", {"detail": "Not found."}),
        ("/api/access/nothing/here", {"error": "Not found.", "details": {}}),
        ("/api/devices/x/y/z/nothing-here", {"error": "Not found", "message": "Not found."}),
        (
            "/api/designs/x/y/z/nothing-here",
            {"error": "Not found", "detail": "Not found.", "code": "RESOURCE_NOT_FOUND", "field_errors": {}},
        ),
        ("/api/firmware/x/y/z/nothing-here", {"detail": "Not found."}),
    ],
)
def test_an_unknown_url_answers_in_its_prefixs_dialect(api_client, path, expected):
    response = api_client.get(path)
    assert (response.status_code, response.json()) == (404, expected)


@pytest.mark.urls("tests.hardening_urls")
@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("pipeline", {"detail": "A server error occurred."}),
        ("access", {"error": "A server error occurred.", "details": {}}),
        ("twin", {"error": "Internal server error", "message": "A server error occurred."}),
        (
            "enginel",
            {
                "error": "Internal server error",
                "detail": "A server error occurred.",
                "code": "INTERNAL_ERROR",
                "field_errors": {},
            },
        ),
        ("sqal", {"detail": "A server error occurred."}),
    ],
)
def test_a_crash_answers_in_the_views_dialect(dialect, expected):
    response = Client(raise_request_exception=False).get(f"/{dialect}/crash/")
    assert (response.status_code, response.json()) == (500, expected)


# --- d. /metrics ----------------------------------------------------------------------------------------


def test_metrics_answer_loopback_only_by_default(api_client):
    assert api_client.get("/metrics").status_code == 200
    assert api_client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    outside = api_client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert (outside.status_code, outside.json()) == (404, {"detail": "Not found."})
    assert "custos_jobs" not in outside.content.decode()
    # a forwarded header is not believed without trusted proxies
    assert api_client.get("/metrics/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 404


def test_metrics_allowed_networks_and_token(api_client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert api_client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert api_client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    assert api_client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 404
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert (
        api_client.get(
            "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token"
        ).status_code
        == 200
    )
    assert api_client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert api_client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404


def test_a_bad_metrics_network_is_a_configuration_error(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()",
        ],
        env={"METRICS_ALLOWED_NETWORKS": "not-a-network", "CUSTOS_HOME": str(tmp_path), "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
        cwd=str(__import__("pathlib").Path(__file__).resolve().parent.parent),
    )
    assert result.returncode != 0
    assert "METRICS_ALLOWED_NETWORKS is invalid" in result.stderr


# --- f. CSRF on the twin refresh --------------------------------------------------------------------------


def test_a_failed_csrf_check_on_refresh_is_a_422_in_the_twin_envelope(api_client, alice):
    login = api_client.post("/api/auth/login", {"email": alice.email, "password": PASSWORD}, format="json")
    assert login.status_code == 200, login.content
    response = api_client.post("/api/auth/refresh", HTTP_X_CSRF_TOKEN="not-the-cookie")
    assert response.status_code == 422
    assert response.json()["error"] == "Validation error"
    assert response.json()["message"]


@pytest.mark.urls("tests.hardening_urls")
def test_a_route_may_declare_a_larger_bound(api_client, settings, monkeypatch):
    from tests import hardening_urls

    settings.CUSTOS_MAX_JSON_BODY_BYTES = 1024
    big = orjson.dumps({"name": "a", "count": 1, "pad": "x" * 3000})
    assert api_client.post("/bulk/echo/", big, content_type="application/json").status_code == 200
    bigger = orjson.dumps({"name": "a", "count": 1, "pad": "x" * 5000})
    response = api_client.post("/bulk/echo/", bigger, content_type="application/json")
    assert (response.status_code, response.json()["max_bytes"]) == (413, 4096)
    assert hardening_urls.BulkEcho.max_body_bytes() == 4096
    # the parser applies the route's bound to a body without a declared length too
    with pytest.raises(PayloadTooLarge):
        ORJSONParser().parse(io.BytesIO(bigger), parser_context={"view": hardening_urls.BulkEcho()})
    assert ORJSONParser().parse(io.BytesIO(big), parser_context={"view": hardening_urls.BulkEcho()})["count"] == 1
