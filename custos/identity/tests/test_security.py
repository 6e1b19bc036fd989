"""Account safety across the dialects: lockout per account, refresh rotation under reuse and
concurrency, self-deletion, API keys and their own account, registration without a username, the
shared routes' error envelope, OPTIONS on every account route, one coarse role."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import URLPattern, URLResolver
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from conftest import PASSWORD, make_user
from custos.audit.models import AuditLog
from custos.identity.models import ApiKey, AuthSession, LoggedDevice
from custos.identity.tests.helpers import STRONG, actions, union_error
from custos.orgs.models import Membership
from custos.orgs.selectors import platform_role

pytestmark = pytest.mark.django_db
User = get_user_model()

ADDRESS = "203.0.113.5"
LOCKED_MESSAGE = "Too many failed login attempts. Try again later."


def login_attempt(path: str, body: dict, address: str = ADDRESS):
    return APIClient(REMOTE_ADDR=address).post(path, body, format="json")


# --- a. Lockout per account ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier",
    [
        pytest.param({"username": "alice"}, id="username"),
        pytest.param({"username": "ALICE"}, id="username-upper-case"),
        pytest.param({"email": "Alice@Northwind.Example"}, id="email-mixed-case"),
        pytest.param({"username": "alice@northwind.example"}, id="email-as-username"),
    ],
)
@pytest.mark.parametrize("path", ["/api/auth/jwt/create/", "/api/auth/login", "/api/auth/login/"])
def test_a_lockout_holds_whatever_identifier_names_the_account(alice, identifier, path):
    for _ in range(5):
        assert login_attempt("/api/auth/login", {"email": alice.email, "password": "wrong"}).status_code == 401
    response = login_attempt(path, {**identifier, "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["retry_after"] > 0
    assert not AuthSession.objects.exists()
    # Another address is not locked out by this one's failures.
    assert login_attempt(path, {**identifier, "password": PASSWORD}, address="198.51.100.9").status_code == 200


def test_failures_under_several_identifiers_add_up_for_one_account(alice):
    for identifier in (
        {"email": alice.email},
        {"username": "alice"},
        {"username": "Alice"},
        {"email": "ALICE@northwind.example"},
    ):
        assert login_attempt("/api/auth/jwt/create/", {**identifier, "password": "x"}).status_code == 401
    assert login_attempt("/api/auth/login", {"username": "alice", "password": "x"}).status_code == 401  # the 5th
    response = login_attempt("/api/auth/jwt/create/", {"email": alice.email, "password": PASSWORD})
    assert (response.status_code, response.json()["detail"]) == (429, LOCKED_MESSAGE)
    assert actions() == ["LOGIN_FAILED"] * 5 + ["LOCKOUT", "LOGIN_LOCKED"]
    assert {row.resource_id for row in AuditLog.objects.all()} == {str(alice.pk)}


def test_another_accounts_lockout_does_not_lock_this_one(alice, bob):
    for _ in range(5):
        login_attempt("/api/auth/login", {"email": bob.email, "password": "wrong"})
    assert login_attempt("/api/auth/login", {"email": bob.email, "password": PASSWORD}).status_code == 429
    assert login_attempt("/api/auth/login", {"username": "alice", "password": PASSWORD}).status_code == 200


# --- b. Confirmation links never re-activate (see test_pipeline for the link itself) ---------------


def test_a_confirmation_request_for_a_deactivated_account_sends_nothing(alice, staff, client_for):
    from django.core import mail

    client_for(staff).post(f"/api/users/{alice.pk}/deactivate/")
    response = APIClient().post("/api/access/email-confirmation-control/", {"email": alice.email}, format="json")
    assert response.status_code == 200
    assert mail.outbox == []
    alice.refresh_from_db()
    assert (alice.is_active, alice.email_confirmed) == (False, False)


# --- c. Refresh rotation: reuse leeway and concurrency ---------------------------------------------


def _login(user) -> dict:
    response = APIClient().post("/api/auth/login/", {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return response.json()


def _refresh(raw: str, path: str = "/api/auth/refresh/"):
    return APIClient().post(path, {"refresh_token": raw}, format="json")


def test_a_replay_within_the_leeway_is_refused_and_the_session_survives(alice):
    first = _login(alice)
    rotated = _refresh(first["refresh_token"])
    assert rotated.status_code == 200
    replay = _refresh(first["refresh_token"])
    assert (replay.status_code, replay.json()) == (
        401,
        union_error("Authentication failed", "Token is blacklisted", "TOKEN_INVALID"),
    )
    session = AuthSession.objects.get()
    assert (session.revoked_at, session.revoked_reason) == (None, "")
    # The winner's tokens keep working.
    assert _refresh(rotated.json()["refresh_token"]).status_code == 200
    assert actions() == ["LOGIN", "REFRESH", "REFRESH", "REFRESH"]
    assert [row.success for row in AuditLog.objects.order_by("sequence")] == [True, True, False, True]


def test_a_replay_after_the_leeway_revokes_the_session(alice, settings):
    settings.JWT_REUSE_LEEWAY_SECONDS = 5
    first = _login(alice)
    rotated = _refresh(first["refresh_token"]).json()
    BlacklistedToken.objects.update(blacklisted_at=timezone.now() - timedelta(seconds=6))
    assert _refresh(first["refresh_token"], "/api/auth/refresh").status_code == 401
    session = AuthSession.objects.get()
    assert session.revoked_reason == "refresh_reuse"
    assert _refresh(rotated["refresh_token"]).status_code == 401
    assert actions() == ["LOGIN", "REFRESH", "TOKEN_REUSE"]


def test_sequential_rotations_of_one_token_give_one_success(alice):
    first = _login(alice)
    codes = [
        _refresh(first["refresh_token"], path).status_code for path in ("/api/auth/refresh", "/api/auth/refresh/") * 4
    ]
    assert codes == [200] + [401] * 7
    assert BlacklistedToken.objects.filter(token__jti__isnull=False).count() == 1
    assert AuthSession.objects.get().revoked_at is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_concurrent_rotations_of_one_token_give_exactly_one_success(org_a):
    from django.db import connections

    user = make_user("racer@northwind.example", organization=org_a)
    first = _login(user)
    barrier = threading.Barrier(8)
    codes: list[int] = []
    lock = threading.Lock()

    def rotate() -> None:
        try:
            barrier.wait()
            code = _refresh(first["refresh_token"]).status_code
            with lock:
                codes.append(code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=rotate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200] + [401] * 7
    assert AuthSession.objects.get(user=user).revoked_at is None
    assert AuditLog.objects.filter(action="REFRESH", success=True).count() == 1


# --- d. Deleting one's account; API keys and their own account --------------------------------------


def _api_key_client(owner, client_for, scopes=("read", "write")) -> APIClient:
    response = client_for(owner).post("/api/auth/api-keys/", {"name": "ci", "scopes": list(scopes)}, format="json")
    assert response.status_code == 201
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"ApiKey {response.json()['key']}")
    return client


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("delete", "/api/access/users/{id}/", {"current_password": PASSWORD}),
        ("patch", "/api/access/users/{id}/", {"first_name": "Mallory"}),
        ("patch", "/api/access/users/me/", {"first_name": "Mallory"}),
        ("put", "/api/access/users/me/", {"first_name": "Mallory"}),
        ("patch", "/api/auth/users/me/", {"first_name": "Mallory"}),
        ("delete", "/api/auth/users/me/", {"current_password": PASSWORD}),
        ("post", "/api/auth/users/set_password/", {"current_password": PASSWORD, "new_password": STRONG}),
        ("patch", "/api/users/me/", {"first_name": "Mallory"}),
    ],
)
def test_an_api_key_never_changes_or_deletes_its_own_account(alice, client_for, method, path, body):
    client = _api_key_client(alice, client_for)
    before = AuditLog.objects.count()
    response = getattr(client, method)(path.format(id=alice.pk), body, format="json")
    assert response.status_code == 403, response.content
    alice.refresh_from_db()
    assert (alice.first_name, alice.check_password(PASSWORD)) == ("Alice", True)
    assert AuditLog.objects.count() == before


def test_a_staff_api_key_cannot_delete_its_owner_but_may_act_on_others(staff, bob, client_for):
    client = _api_key_client(staff, client_for)
    assert client.delete(f"/api/users/{staff.pk}/").status_code == 403
    assert client.delete(f"/api/admin/users/{staff.pk}").status_code == 403
    assert User.objects.filter(pk=staff.pk).exists()
    assert client.patch(f"/api/users/{bob.pk}/", {"last_name": "Builder"}, format="json").status_code == 200


def test_self_delete_needs_the_password_on_every_route(alice, amir, client_for):
    for path in ("/api/access/users/{id}/", "/api/auth/users/me/"):
        response = client_for(alice).delete(path.format(id=alice.pk), {"current_password": "wrong"}, format="json")
        assert response.status_code == 400, path
    assert client_for(alice).delete(f"/api/access/users/{alice.pk}/").status_code == 400
    assert User.objects.filter(pk=alice.pk).exists()
    assert not AuditLog.objects.exists()
    response = client_for(amir).delete(f"/api/access/users/{amir.pk}/", {"current_password": PASSWORD}, format="json")
    assert response.status_code == 204
    assert not User.objects.filter(pk=amir.pk).exists()
    row = AuditLog.objects.get()
    assert (row.action, row.resource_type, row.resource_id) == ("DELETE", "User", str(amir.pk))


def test_another_users_account_is_not_deleted_with_ones_own_password(alice, bob, client_for):
    response = client_for(alice).delete(f"/api/access/users/{bob.pk}/", {"current_password": PASSWORD}, format="json")
    assert response.status_code == 404
    assert User.objects.filter(pk=bob.pk).exists()


# --- e. OPTIONS on every account route -----------------------------------------------------------


def _paths(patterns, prefix=""):
    """(route, view class) of every URL pattern, recursively."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _paths(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            callback = pattern.callback
            yield prefix + str(pattern.pattern), getattr(callback, "cls", None) or getattr(callback, "view_class", None)


def _account_routes() -> list[str]:
    """Every route served by a view of identity or orgs (found through the URL configuration)."""
    from django.urls import get_resolver

    return sorted(
        {
            route
            for route, view in _paths(get_resolver().url_patterns)
            if view is not None and view.__module__.startswith(("custos.identity.", "custos.orgs."))
        }
    )


def _concrete(route: str, ids: dict[str, str]) -> str | None:
    import re

    route = route.lstrip("^").rstrip("$")
    if "(?P<format>" in route or "\\.(?P" in route:
        return None
    for name, value in ids.items():
        route = re.sub(rf"\(\?P<{name}>[^)]*\)|<(\w+:)?{name}>", value, route)
    if "(?P<" in route or "<" in route:
        return None
    return "/" + route.replace("\\", "")


@pytest.mark.parametrize("who", ["alice", "staff"])
def test_every_account_route_answers_options(alice, staff, org_a, client_for, who):
    user = {"alice": alice, "staff": staff}[who]
    session = AuthSession.objects.create(user=alice, expires_at=timezone.now() + timedelta(days=1))
    key = ApiKey.objects.create(user=alice, name="k", prefix="ck_x", last_four="abcd", key_hash="0" * 64)
    device = LoggedDevice.objects.create(user=alice, device_type="desktop", device_name="d")
    ids = {"pk": str(alice.pk), "user_id": str(alice.pk), "org_id": str(org_a.pk)}
    checked = []
    for route in _account_routes():
        path = _concrete(route, ids)
        if path is None:
            continue
        if "sessions" in path:
            path = path.replace(str(alice.pk), str(session.pk))
        if "api-keys" in path:
            path = path.replace(str(alice.pk), str(key.pk))
        if "logged-devices" in path:
            path = path.replace(str(alice.pk), str(device.pk))
        if "organizations" in path:
            path = path.replace(str(alice.pk), str(org_a.pk))
        if "admin/users" in path and who != "staff":
            continue  # staff only: 403 for anyone else, OPTIONS included
        response = client_for(user).options(path)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        checked.append(path)
    assert len(checked) >= 80
    assert {"/api/users/me/", "/api/access/users/me/", "/api/auth/users/me/"} <= set(checked)


# --- f. Registration without a username ----------------------------------------------------------


def test_pipeline_registration_without_a_username_derives_a_unique_one(db):
    body = {"email": "Nina.Simone@example.com", "password": STRONG, "first_name": "Nina", "last_name": "Simone"}
    first = APIClient().post("/api/auth/users/", body, format="json")
    assert first.status_code == 201, first.content
    assert (first.json()["username"], first.json()["first_name"]) == ("nina.simone", "Nina")
    second = APIClient().post("/api/auth/users/", {**body, "email": "nina.simone@other.example"}, format="json")
    assert (second.status_code, second.json()["username"]) == (201, "nina.simone-2")
    duplicate = APIClient().post("/api/auth/users/", body, format="json")
    assert (duplicate.status_code, set(duplicate.json())) == (400, {"email"})
    assert User.objects.count() == 2
    assert (
        APIClient().post("/api/auth/jwt/create/", {"username": "nina.simone-2", "password": STRONG}).status_code == 200
    )


# --- g. The shared routes' union envelope ----------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/auth/login", "/api/auth/login/"])
def test_shared_login_errors_carry_the_union_envelope(alice, path):
    wrong = APIClient().post(path, {"email": alice.email, "password": "wrong"}, format="json")
    assert (wrong.status_code, wrong.json()) == (
        401,
        union_error(
            "Authentication failed", "No active account found with the given credentials", "AUTHENTICATION_FAILED"
        ),
    )
    invalid = APIClient().post(path, {"email": alice.email}, format="json")
    body = invalid.json()
    assert invalid.status_code == 400
    assert {key: body[key] for key in ("error", "code")} == {"error": "Validation error", "code": "VALIDATION_ERROR"}
    assert body["field_errors"] == body["details"] == {"password": ["This field is required."]}
    assert body["message"] == body["detail"]


@pytest.mark.parametrize("path", ["/api/auth/refresh", "/api/auth/refresh/", "/api/auth/logout"])
def test_shared_refresh_and_logout_errors_carry_the_union_envelope(db, path):
    response = APIClient().post(path, {"refresh_token": "not-a-token"}, format="json")
    assert (response.status_code, response.json()) == (
        401,
        union_error("Authentication failed", "Token is invalid or expired", "TOKEN_INVALID"),
    )


def test_enginel_logout_refuses_an_anonymous_caller_in_the_union_envelope(db):
    """``/api/auth/logout/`` (enginel) requires authentication: refused before the body is read."""
    response = APIClient().post("/api/auth/logout/", {"refresh_token": "not-a-token"}, format="json")
    assert (response.status_code, response.json()) == (
        401,
        union_error("Authentication failed", "Authentication credentials were not provided.", "AUTHENTICATION_FAILED"),
    )


# --- One coarse role --------------------------------------------------------------------------------


def test_the_twin_role_is_admin_for_organization_owners_and_admins(alice, adam, amir, staff, client_for):
    expected = {alice: "admin", adam: "admin", amir: "user", staff: "admin"}
    for user, role in expected.items():
        me = client_for(user).get("/api/auth/me")
        assert (me.status_code, me.json()["role"]) == (200, role)
        assert platform_role(user=user) == role
        login = APIClient().post("/api/auth/login", {"email": user.email, "password": PASSWORD}, format="json")
        assert login.json()["user"]["role"] == role


def test_an_owner_of_a_closed_organization_is_a_plain_user(alice, org_a, client_for):
    org_a.is_active = False
    org_a.save()
    assert client_for(alice).get("/api/auth/me").json()["role"] == "user"
    assert Membership.objects.filter(user=alice, role="OWNER").exists()
