"""twin: register, login (cookies), refresh from the cookie, logout, me; the shared login body."""

from unittest.mock import ANY

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from conftest import PASSWORD
from custos.identity.models import AuthSession
from custos.identity.tests.helpers import STRONG, actions, union_error

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_register_201_then_409_on_duplicates(db):
    client = APIClient()
    body = {"username": "newuser", "password": STRONG, "email": "user@example.com"}
    response = client.post("/api/auth/register", body, format="json")
    assert (response.status_code, response.json()) == (201, {"message": "User registered successfully"})
    for duplicate in (body, {**body, "email": "other@example.com"}, {**body, "username": "other"}):
        response = client.post("/api/auth/register", duplicate, format="json")
        assert response.status_code == 409
    assert response.json() == {
        "error": "Validation error",
        "message": "Username or email already exists",
        "details": {"email": ["A user with this e-mail address already exists."]},
    }
    assert User.objects.count() == 1
    assert actions() == ["CREATE"]


def test_register_bad_input_is_400(db):
    response = APIClient().post("/api/auth/register", {"username": "x", "email": "bad", "password": "1"}, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {
            "error": "Validation error",
            "message": "email: Enter a valid email address.",
            "details": {"email": ["Enter a valid email address."]},
        },
    )
    assert not User.objects.exists()


def test_login_returns_the_union_body_and_sets_the_cookies(alice):
    client = APIClient()
    response = client.post("/api/auth/login", {"username": "alice", "password": PASSWORD}, format="json")
    assert (response.status_code, response.json()) == (
        200,
        {
            "access_token": ANY,
            "refresh_token": ANY,
            "expires_in": 3600,
            "token_type": "Bearer",
            "user": {
                "id": str(alice.pk),
                "username": "alice",
                "email": "alice@northwind.example",
                "first_name": "Alice",
                "last_name": "",
                "role": "admin",  # an OWNER of her organization (orgs.selectors.platform_role)
                "is_staff": False,
                "is_us_person": False,
                "security_clearance_level": "UNCLASSIFIED",
                "email_confirmed": False,
                "created_at": alice.created_at.isoformat().replace("+00:00", "Z"),
            },
        },
    )
    access, refresh, csrf = (
        response.cookies[name] for name in ("access_token_cookie", "refresh_token_cookie", "csrf_access_token")
    )
    assert access.value == response.json()["access_token"]
    assert (access["httponly"], access["samesite"], access["secure"], access["path"]) == (True, "Lax", "", "/")
    assert (refresh["httponly"], refresh["samesite"], refresh["path"]) == (True, "Lax", "/api/auth")
    assert (csrf["httponly"], csrf["samesite"]) == ("", "Lax")
    me = client.get("/api/auth/me")
    assert (me.status_code, me.json()) == (200, {"logged_in_as": "alice", "role": "admin"})


def test_cookies_are_secure_over_https(alice):
    response = APIClient().post(
        "/api/auth/login", {"email": alice.email, "password": PASSWORD}, format="json", secure=True
    )
    assert response.cookies["access_token_cookie"]["secure"] is True
    assert response.cookies["refresh_token_cookie"]["secure"] is True


def test_login_with_wrong_credentials_is_401_and_sets_nothing(alice):
    response = APIClient().post("/api/auth/login", {"username": "alice", "password": "wrong"}, format="json")
    assert (response.status_code, response.json()) == (
        401,
        union_error(
            "Authentication failed", "No active account found with the given credentials", "AUTHENTICATION_FAILED"
        ),
    )
    assert "access_token_cookie" not in response.cookies
    response = APIClient().post("/api/auth/login", {"username": "alice"}, format="json")
    assert (response.status_code, response.json()["details"]) == (400, {"password": ["This field is required."]})


def test_refresh_from_the_cookie_needs_the_csrf_header(alice):
    client = APIClient()
    client.post("/api/auth/login", {"email": alice.email, "password": PASSWORD}, format="json")
    old_refresh = client.cookies["refresh_token_cookie"].value
    response = client.post("/api/auth/refresh")
    assert (response.status_code, response.json()) == (
        422,
        union_error("Validation error", "CSRF token missing or incorrect.", "CSRF_FAILED"),
    )
    csrf = client.cookies["csrf_access_token"].value
    response = client.post("/api/auth/refresh", HTTP_X_CSRF_TOKEN=csrf)
    assert (response.status_code, response.json()) == (
        200,
        {"access_token": ANY, "refresh_token": ANY, "expires_in": 3600, "token_type": "Bearer"},
    )
    assert response.cookies["access_token_cookie"].value == response.json()["access_token"]
    assert client.get("/api/auth/me").status_code == 200
    # The rotated-away refresh token is refused.
    stale = APIClient().post("/api/auth/refresh", {"refresh_token": old_refresh}, format="json")
    assert stale.status_code == 401


def test_refresh_without_any_token_is_401(db):
    response = APIClient().post("/api/auth/refresh")
    assert (response.status_code, response.json()) == (
        401,
        union_error("Authentication failed", "Missing refresh token.", "TOKEN_INVALID"),
    )


def test_logout_clears_the_cookies_and_revokes_the_session(alice):
    client = APIClient()
    login = client.post("/api/auth/login", {"email": alice.email, "password": PASSWORD}, format="json").json()
    response = client.post("/api/auth/logout")
    assert (response.status_code, response.json()) == (200, {"message": "Logout successful"})
    assert response.cookies["access_token_cookie"].value == ""
    assert response.cookies["refresh_token_cookie"]["max-age"] == 0
    assert AuthSession.objects.get().revoked_reason == "logout"
    bearer = APIClient(HTTP_AUTHORIZATION=f"Bearer {login['access_token']}")
    assert bearer.get("/api/auth/me").status_code == 401
    assert actions() == ["LOGIN", "LOGOUT"]


def test_logout_with_a_bearer_token_revokes_that_session(alice):
    first = APIClient().post("/api/auth/login/", {"email": alice.email, "password": PASSWORD}, format="json").json()
    second = APIClient().post("/api/auth/login/", {"email": alice.email, "password": PASSWORD}, format="json").json()
    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {first['access_token']}").post("/api/auth/logout/")
    assert response.json() == {"message": "Logout successful"}
    assert APIClient(HTTP_AUTHORIZATION=f"Bearer {first['access_token']}").get("/api/auth/me").status_code == 401
    assert APIClient(HTTP_AUTHORIZATION=f"Bearer {second['access_token']}").get("/api/auth/me").status_code == 200


def test_logout_without_credentials_only_clears_cookies(db):
    response = APIClient().post("/api/auth/logout")
    assert (response.status_code, response.json()) == (200, {"message": "Logout successful"})


def test_me_reports_the_staff_role(staff, client_for):
    assert client_for(staff).get("/api/auth/me").json() == {"logged_in_as": "staff", "role": "admin"}


def test_register_rejects_a_malformed_username(db):
    response = APIClient().post(
        "/api/auth/register", {"username": "bad name/<x>", "email": "a@example.com", "password": STRONG}, format="json"
    )
    assert (response.status_code, response.json()["details"]) == (
        400,
        {
            "username": [
                "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."
            ]
        },
    )
    assert not User.objects.exists()
