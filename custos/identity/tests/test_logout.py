"""The logout routes that require authentication (pipeline ``/api/auth/jwt/logout/``, access
``/api/access/auth/logout/``, enginel ``/api/auth/logout/``): an anonymous caller is refused with 401 in
the route's error envelope before its body is read, and nothing is revoked; a logged-in caller ends only
their own sessions. The twin form ``/api/auth/logout`` stays public (its document: no authentication)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from custos.identity.models import AuthSession
from custos.identity.tests.helpers import actions, union_error

pytestmark = pytest.mark.django_db

NOT_PROVIDED = "Authentication credentials were not provided."
PIPELINE = "/api/auth/jwt/logout/"
ACCESS = "/api/access/auth/logout/"
ENGINEL = "/api/auth/logout/"
TWIN = "/api/auth/logout"
# Each route's refusal of an anonymous caller, in its dialect's envelope.
ANONYMOUS: dict[str, Any] = {
    PIPELINE: {"detail": NOT_PROVIDED},
    ACCESS: {"error": NOT_PROVIDED, "details": {}},
    ENGINEL: union_error("Authentication failed", NOT_PROVIDED, "AUTHENTICATION_FAILED"),
}
# The refresh token's field name per route, and the success body.
FIELD = {PIPELINE: "refresh", ACCESS: "refresh", ENGINEL: "refresh_token"}
DONE = {PIPELINE: {}, ACCESS: {"detail": "Successfully logged out."}, ENGINEL: {"message": "Logout successful"}}


def nothing_revoked() -> None:
    assert list(AuthSession.objects.exclude(revoked_at=None).values_list("pk", flat=True)) == []
    assert BlacklistedToken.objects.count() == 0
    assert "LOGOUT" not in actions()


@pytest.mark.parametrize("path", [PIPELINE, ACCESS, ENGINEL])
@pytest.mark.parametrize("with_token", [False, True], ids=["empty-body", "valid-refresh-token"])
def test_an_anonymous_logout_is_401_and_revokes_nothing(alice, login, path, with_token):
    tokens = login(alice)
    body = {FIELD[path]: tokens["refresh_token"]} if with_token else {}
    response = APIClient().post(path, body, format="json")
    assert (response.status_code, response.json()) == (401, ANONYMOUS[path])
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    nothing_revoked()
    assert AuthSession.objects.get().user == alice


@pytest.mark.parametrize("path", [PIPELINE, ACCESS, ENGINEL])
def test_a_bad_access_token_is_401_and_revokes_nothing(alice, login, bearer, path):
    tokens = login(alice)
    response = bearer("not-a-token").post(path, {FIELD[path]: tokens["refresh_token"]}, format="json")
    assert response.status_code == 401
    nothing_revoked()


@pytest.mark.parametrize("path", [PIPELINE, ACCESS, ENGINEL])
def test_the_caller_logs_out_their_own_refresh_token(alice, login, bearer, path):
    mine = login(alice)
    other = login(alice)
    response = bearer(mine["access_token"]).post(path, {FIELD[path]: mine["refresh_token"]}, format="json")
    assert (response.status_code, response.json()) == (200, DONE[path])
    ended = AuthSession.objects.get(revoked_at__isnull=False)
    assert ended.revoked_reason == "logout"
    assert AuthSession.objects.filter(revoked_at=None).count() == 1  # the other login lives on
    assert bearer(other["access_token"]).get("/api/auth/verify/").status_code == 200
    assert bearer(mine["access_token"]).get("/api/auth/verify/").status_code == 401
    assert BlacklistedToken.objects.count() == 1
    assert actions() == ["LOGIN", "LOGIN", "LOGOUT"]


@pytest.mark.parametrize("path", [PIPELINE, ACCESS, ENGINEL])
def test_another_users_refresh_token_is_refused(alice, bob, login, bearer, path):
    """Cross-organization: alice (Northwind) cannot end bob's (Helios) session with his refresh token."""
    alices = login(alice)
    bobs = login(bob)
    response = bearer(alices["access_token"]).post(path, {FIELD[path]: bobs["refresh_token"]}, format="json")
    assert response.status_code == 401
    nothing_revoked()
    assert bearer(bobs["access_token"]).get("/api/auth/verify/").status_code == 200


@pytest.mark.parametrize(
    ("path", "errors"),
    [
        (PIPELINE, {"refresh": ["This field is required."]}),
        (ACCESS, {"error": "Validation error", "details": {"refresh": ["This field is required."]}}),
    ],
)
def test_a_logged_in_caller_without_a_refresh_token_is_400(alice, login, bearer, path, errors):
    tokens = login(alice)
    response = bearer(tokens["access_token"]).post(path, {}, format="json")
    assert (response.status_code, response.json()) == (400, errors)
    nothing_revoked()


def test_enginel_logout_without_a_body_ends_the_callers_session(alice, login, bearer):
    mine = login(alice)
    other = login(alice)
    response = bearer(mine["access_token"]).post(ENGINEL)
    assert (response.status_code, response.json()) == (200, {"message": "Logout successful"})
    assert bearer(mine["access_token"]).get("/api/auth/verify/").status_code == 401
    assert bearer(other["access_token"]).get("/api/auth/verify/").status_code == 200
    assert actions() == ["LOGIN", "LOGIN", "LOGOUT"]


def test_enginel_logout_with_an_api_key_revokes_no_session(alice, login):
    from custos.identity import services
    from custos.kernel.context import WriteContext

    tokens = login(alice)
    key = services.api_key_create(WriteContext(user=alice), name="ci", scopes=["read", "write"])
    response = APIClient(HTTP_AUTHORIZATION=f"ApiKey {key.raw}").post(ENGINEL)
    assert (response.status_code, response.json()) == (200, {"message": "Logout successful"})
    assert AuthSession.objects.filter(revoked_at=None).count() == 1
    assert APIClient(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").get("/api/auth/verify/").status_code == 200


def test_the_twin_form_stays_public(alice, login):
    """twin's ``/api/auth/logout`` needs no authentication: anonymous, it clears the cookies only."""
    login(alice)
    response = APIClient().post(TWIN)
    assert (response.status_code, response.json()) == (200, {"message": "Logout successful"})
    assert response.cookies["access_token_cookie"].value == ""
    assert AuthSession.objects.get().revoked_at is None
