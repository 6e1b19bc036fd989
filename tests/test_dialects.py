"""The five dialects' error envelopes, list envelopes and slash handling (DESIGN.md, "Dialects")."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.dialect_urls")]

NAME_ERR = "Ensure this field has no more than 5 characters."
COUNT_ERR = "Ensure this value is greater than or equal to 0."
FIELDS = {"name": [NAME_ERR], "count": [COUNT_ERR]}
SUMMARY = f"name: {NAME_ERR}; count: {COUNT_ERR}"
NO_CREDENTIALS = "Authentication credentials were not provided."

VALIDATION = {
    "pipeline": (400, FIELDS),
    "access": (400, {"error": "Validation error", "details": FIELDS}),
    "twin": (400, {"error": "Validation error", "message": SUMMARY, "details": FIELDS}),
    "enginel": (
        400,
        {"error": "Validation error", "detail": SUMMARY, "code": "VALIDATION_ERROR", "field_errors": FIELDS},
    ),
    "sqal": (
        422,
        {
            "detail": [
                {"loc": ["body", "name"], "msg": NAME_ERR, "type": "max_length"},
                {"loc": ["body", "count"], "msg": COUNT_ERR, "type": "min_value"},
            ]
        },
    ),
}

NOT_FOUND = {
    "pipeline": {"detail": "No such thing."},
    "access": {"error": "No such thing.", "details": {}},
    "twin": {"error": "Not found", "message": "No such thing."},
    "enginel": {
        "error": "Not found",
        "detail": "No such thing.",
        "code": "RESOURCE_NOT_FOUND",
        "field_errors": {},
    },
    "sqal": {"detail": "No such thing."},
}

UNAUTHENTICATED = {
    "pipeline": {"detail": NO_CREDENTIALS},
    "access": {"error": NO_CREDENTIALS, "details": {}},
    "twin": {"error": "Authentication failed", "message": NO_CREDENTIALS},
    "enginel": {
        "error": "Authentication failed",
        "detail": NO_CREDENTIALS,
        "code": "AUTHENTICATION_FAILED",
        "field_errors": {},
    },
    "sqal": {"detail": NO_CREDENTIALS},
}


@pytest.mark.parametrize("dialect", VALIDATION)
def test_validation_error_envelope(api_client, dialect):
    response = api_client.post(f"/{dialect}/echo/", {"name": "toolong", "count": -1}, format="json")
    status, body = VALIDATION[dialect]
    assert response.status_code == status
    assert response.json() == body


@pytest.mark.parametrize("dialect", NOT_FOUND)
def test_not_found_envelope(api_client, dialect):
    response = api_client.get(f"/{dialect}/missing/")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND[dialect]


@pytest.mark.parametrize("dialect", UNAUTHENTICATED)
def test_unauthenticated_envelope(api_client, dialect):
    response = api_client.get(f"/{dialect}/private/")
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED[dialect]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("dialect", VALIDATION)
def test_malformed_json_is_a_parse_error_in_the_dialect(api_client, dialect):
    response = api_client.post(f"/{dialect}/echo/", data=b"{not json", content_type="application/json")
    assert response.status_code == 400
    text = str(response.json())
    assert "JSON parse error" in text


@pytest.mark.parametrize("dialect", VALIDATION)
@pytest.mark.parametrize("path", ["/{d}/echo/", "/{d}/echo"])
def test_post_answers_in_both_slash_forms_without_redirect(api_client, dialect, path):
    response = api_client.post(path.format(d=dialect), {"name": "ok", "count": 3}, format="json")
    assert response.status_code == 200
    assert response.json() == {"name": "ok", "count": 3}


@pytest.fixture
def eleven_users():
    model = get_user_model()
    for index in range(11):
        model.objects.create_user(email=f"u{index:02d}@example.com", username=f"u{index:02d}", password="x")
    return [f"u{index:02d}@example.com" for index in range(11)]


def test_pipeline_page_envelope(api_client, eleven_users):
    body = api_client.get("/pipeline/users/?page=2&page_size=4").json()
    assert body["count"] == 11
    assert body["next"] == "http://testserver/pipeline/users/?page=3&page_size=4"
    assert body["previous"] == "http://testserver/pipeline/users/?page_size=4"
    assert [row["email"] for row in body["results"]] == eleven_users[4:8]


def test_pipeline_default_page_size_is_20(api_client):
    model = get_user_model()
    model.objects.bulk_create(
        [model(email=f"p{index:02d}@example.com", username=f"p{index:02d}") for index in range(25)]
    )
    body = api_client.get("/pipeline/users/").json()
    assert (body["count"], len(body["results"])) == (25, 20)


def test_enginel_page_size_is_capped_at_100_and_fields_select(api_client):
    model = get_user_model()
    model.objects.bulk_create(
        [model(email=f"e{index:03d}@example.com", username=f"e{index:03d}") for index in range(120)]
    )
    body = api_client.get("/enginel/users/?page_size=500&fields=email").json()
    assert body["count"] == 120
    assert len(body["results"]) == 100
    assert body["results"][0] == {"email": "e000@example.com"}
    default = api_client.get("/enginel/users/").json()
    assert len(default["results"]) == 50
    assert set(default["results"][0]) == {"email", "username", "first_name"}


def test_field_selection_is_enginel_only(api_client, eleven_users):
    body = api_client.get("/pipeline/users/?fields=email").json()
    assert set(body["results"][0]) == {"email", "username", "first_name"}


def test_twin_list_is_a_plain_array_cut_by_limit(api_client, eleven_users):
    response = api_client.get("/twin/users/?limit=3&offset=2")
    assert response.status_code == 200
    assert [row["email"] for row in response.json()] == eleven_users[2:5]


def test_sqal_envelope_skip_limit_and_camel_case(api_client, eleven_users):
    body = api_client.get("/sqal/users/?skip=8&limit=4").json()
    assert body["pagination"] == {
        "totalItems": 11,
        "totalPages": 3,
        "currentPage": 3,
        "hasPrevious": True,
        "hasNext": False,
    }
    assert body["items"] == [
        {"email": email, "username": email.split("@")[0], "firstName": ""} for email in eleven_users[8:]
    ]


def test_sqal_default_limit_is_50(api_client, eleven_users):
    body = api_client.get("/sqal/users/").json()
    assert body["pagination"] == {
        "totalItems": 11,
        "totalPages": 1,
        "currentPage": 1,
        "hasPrevious": False,
        "hasNext": False,
    }


def test_sqal_accepts_camel_case_input(api_client):
    response = api_client.post("/sqal/echo/", {"name": "ab", "count": 2}, format="json")
    assert response.json() == {"name": "ab", "count": 2}


@pytest.mark.parametrize(
    ("url", "status", "body"),
    [
        (
            "/sqal/users/?limit=0",
            422,
            {"detail": [{"loc": ["body", "limit"], "msg": "Must be between 1 and 1000.", "type": "invalid"}]},
        ),
        (
            "/sqal/users/?skip=-1",
            422,
            {"detail": [{"loc": ["body", "skip"], "msg": "Must be at least 0.", "type": "invalid"}]},
        ),
        (
            "/twin/users/?limit=abc",
            400,
            {
                "error": "Validation error",
                "message": "limit: A valid integer is required, got 'abc'.",
                "details": {"limit": ["A valid integer is required, got 'abc'."]},
            },
        ),
    ],
)
def test_bad_paging_parameters_are_rejected(api_client, eleven_users, url, status, body):
    response = api_client.get(url)
    assert response.status_code == status
    assert response.json() == body
