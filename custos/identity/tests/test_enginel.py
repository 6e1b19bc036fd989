"""enginel: login/logout/refresh (shared views), verify, sessions with revoke, API keys."""

from datetime import timedelta
from unittest.mock import ANY

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import PASSWORD
from custos.identity.models import ApiKey, AuthSession
from custos.identity.tests.helpers import actions, union_error
from custos.identity.tokens import hash_api_key

pytestmark = pytest.mark.django_db


def iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def enginel_login(user, device_name="", agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", address="192.0.2.1"):
    client = APIClient(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    body = {"username": user.username, "password": PASSWORD}
    if device_name:
        body["device_name"] = device_name
    response = client.post("/api/auth/login/", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_login_with_username_and_device_name(alice):
    body = enginel_login(alice, device_name="CAD workstation")
    assert body == {
        "access_token": ANY,
        "refresh_token": ANY,
        "expires_in": 3600,
        "token_type": "Bearer",
        "user": ANY,
    }
    assert body["user"]["email"] == alice.email
    session = AuthSession.objects.get()
    assert (session.device_name, session.ip_address) == ("CAD workstation", "192.0.2.1")


def test_verify(alice, bearer):
    tokens = enginel_login(alice)
    session = AuthSession.objects.get()
    response = bearer(tokens["access_token"], scheme="Token").get("/api/auth/verify/")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "valid": True,
        "user": {**tokens["user"]},
        "auth_type": "jwt",
        "session_id": str(session.pk),
        "expires_at": ANY,
    }
    assert body["expires_at"].endswith("Z")


def test_refresh_with_refresh_token_body(alice):
    tokens = enginel_login(alice)
    response = APIClient().post("/api/auth/refresh/", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert (response.status_code, response.json()) == (
        200,
        {"access_token": ANY, "refresh_token": ANY, "expires_in": 3600, "token_type": "Bearer"},
    )
    bad = APIClient().post("/api/auth/refresh/", {"refresh_token": tokens["access_token"]}, format="json")
    # The shared route answers in the union of the twin and enginel envelopes (specs/notes.md).
    assert (bad.status_code, bad.json()) == (
        401,
        union_error("Authentication failed", "Token is invalid or expired", "TOKEN_INVALID"),
    )


def test_sessions_list_marks_the_current_one_and_revoke(alice, bearer):
    laptop = enginel_login(alice, device_name="laptop")
    phone = enginel_login(
        alice, device_name="phone", agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile Safari/604.1"
    )
    client = bearer(laptop["access_token"])
    sessions = {s.device_name: s for s in AuthSession.objects.all()}
    response = client.get("/api/auth/sessions/")
    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": str(s.pk),
                "device_name": s.device_name,
                "ip_address": "192.0.2.1",
                "user_agent": s.user_agent,
                "created_at": iso(s.created_at),
                "last_used_at": iso(s.last_used_at),
                "expires_at": iso(s.expires_at),
                "revoked_at": None,
                "is_current": s.device_name == "laptop",
            }
            for s in (sessions["phone"], sessions["laptop"])
        ],
    }
    revoked = client.post(f"/api/auth/sessions/{sessions['phone'].pk}/revoke/")
    assert (revoked.status_code, revoked.json()["is_current"], revoked.json()["revoked_at"] is not None) == (
        200,
        False,
        True,
    )
    assert bearer(phone["access_token"]).get("/api/auth/verify/").status_code == 401
    assert client.get("/api/auth/sessions/").json()["count"] == 1
    assert client.delete(f"/api/auth/sessions/{sessions['laptop'].pk}/").status_code == 204
    assert client.get("/api/auth/verify/").status_code == 401
    assert actions() == ["LOGIN", "LOGIN", "REVOKE", "REVOKE"]


def test_another_users_session_is_404(alice, bob, bearer):
    enginel_login(alice)
    bobs = enginel_login(bob)
    alices = AuthSession.objects.get(user=alice)
    client = bearer(bobs["access_token"])
    for response in (
        client.get(f"/api/auth/sessions/{alices.pk}/"),
        client.post(f"/api/auth/sessions/{alices.pk}/revoke/"),
        client.delete(f"/api/auth/sessions/{alices.pk}/"),
    ):
        assert (response.status_code, response.json()["code"]) == (404, "RESOURCE_NOT_FOUND")
    alices.refresh_from_db()
    assert alices.revoked_at is None


def test_logout_revokes_the_session(alice, bearer):
    tokens = enginel_login(alice)
    response = bearer(tokens["access_token"]).post(
        "/api/auth/logout/", {"refresh_token": tokens["refresh_token"]}, format="json"
    )
    assert (response.status_code, response.json()) == (200, {"message": "Logout successful"})
    assert bearer(tokens["access_token"]).get("/api/auth/verify/").status_code == 401


def test_api_key_create_shows_the_key_once(alice, client_for):
    client = client_for(alice)
    expires = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    response = client.post(
        "/api/auth/api-keys/",
        {"name": "ci", "scopes": ["read", "write"], "expires_at": iso(expires), "allowed_ips": ["10.0.0.0/8"]},
        format="json",
    )
    key = ApiKey.objects.get()
    raw = response.json()["key"]
    assert (response.status_code, response.json()) == (
        201,
        {
            "key": raw,
            "id": str(key.pk),
            "name": "ci",
            "key_masked": f"{raw[:10]}********{raw[-4:]}",
            "scopes": ["read", "write"],
            "allowed_ips": ["10.0.0.0/8"],
            "expires_at": iso(expires),
            "is_active": True,
            "last_used_at": None,
            "revoked_at": None,
            "created_at": iso(key.created_at),
        },
    )
    assert raw.startswith("ck_") and key.key_hash == hash_api_key(raw) and raw not in str(ApiKey.objects.values())
    listed = client.get("/api/auth/api-keys/").json()
    assert listed["count"] == 1 and "key" not in listed["results"][0]
    detail = client.get(f"/api/auth/api-keys/{key.pk}/").json()
    assert "key" not in detail and detail["key_masked"] == f"{raw[:10]}********{raw[-4:]}"
    assert actions() == ["CREATE"]


def test_api_key_delete_deactivates_and_revoke(alice, client_for):
    client = client_for(alice)
    first = client.post("/api/auth/api-keys/", {"name": "one"}, format="json").json()
    second = client.post("/api/auth/api-keys/", {"name": "two"}, format="json").json()
    assert first["scopes"] == ["read"]
    assert client.delete(f"/api/auth/api-keys/{first['id']}/").status_code == 204
    one = ApiKey.objects.get(pk=first["id"])
    assert (one.is_active, one.revoked_at is not None) == (False, True)
    revoked = client.post(f"/api/auth/api-keys/{second['id']}/revoke/")
    assert (revoked.status_code, revoked.json()["is_active"]) == (200, False)
    assert actions() == ["CREATE", "CREATE", "REVOKE", "REVOKE"]


def test_another_users_api_key_is_404(alice, bob, client_for):
    key = client_for(alice).post("/api/auth/api-keys/", {"name": "mine"}, format="json").json()
    thief = client_for(bob)
    assert thief.get(f"/api/auth/api-keys/{key['id']}/").status_code == 404
    assert thief.delete(f"/api/auth/api-keys/{key['id']}/").status_code == 404
    assert thief.post(f"/api/auth/api-keys/{key['id']}/revoke/").status_code == 404
    assert thief.get("/api/auth/api-keys/").json()["count"] == 0
    assert ApiKey.objects.get().is_active


@pytest.mark.parametrize(
    ("body", "field_errors"),
    [
        ({"name": "x", "scopes": ["root"]}, {"scopes": {"0": ['"root" is not a valid choice.']}}),
        ({"name": "x", "scopes": []}, {"scopes": ["This list may not be empty."]}),
        ({"name": "x", "allowed_ips": ["not-an-ip"]}, {"allowed_ips": ["Not an IP address or network: not-an-ip."]}),
        ({"name": "x", "expires_at": "2020-01-01T00:00:00Z"}, {"expires_at": ["Must be in the future."]}),
        ({"scopes": ["read"]}, {"name": ["This field is required."]}),
    ],
)
def test_api_key_bad_input_is_400_in_the_enginel_envelope(alice, client_for, body, field_errors):
    response = client_for(alice).post("/api/auth/api-keys/", body, format="json")
    assert response.status_code == 400
    assert (response.json()["error"], response.json()["code"], response.json()["field_errors"]) == (
        "Validation error",
        "VALIDATION_ERROR",
        field_errors,
    )
    assert not ApiKey.objects.exists()
