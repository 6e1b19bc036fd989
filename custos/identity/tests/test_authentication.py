"""The authenticators of every route: JWT (Bearer/Token), cookies + CSRF, API keys, sessions."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from custos.identity.models import ApiKey, AuthSession
from custos.identity.tests.helpers import access_claims, actions, sign, tamper, union_error, unsigned

pytestmark = pytest.mark.django_db

ME = "/api/auth/users/me/"


def age_rotation(*, seconds: int) -> None:
    """Pretend every rotation happened ``seconds`` ago."""
    BlacklistedToken.objects.update(blacklisted_at=timezone.now() - timedelta(seconds=seconds))


INVALID = {"detail": "Given token not valid for any token type"}


def me_body(user):
    return {
        "id": str(user.pk),
        "email": user.email,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": "",
    }


@pytest.mark.parametrize("scheme", ["Bearer", "Token"])
def test_bearer_and_token_schemes_are_accepted(alice, client_for, scheme):
    response = client_for(alice, scheme=scheme).get(ME)
    assert (response.status_code, response.json()) == (200, me_body(alice))


def test_no_credentials_is_401_in_each_dialect_envelope(api_client, alice):
    assert api_client.get(ME).json() == {"detail": "Authentication credentials were not provided."}
    response = api_client.get("/api/auth/me")
    assert (response.status_code, response.json()) == (
        401,
        {"error": "Authentication failed", "message": "Authentication credentials were not provided."},
    )
    response = api_client.get("/api/access/users/me/")
    assert (response.status_code, response.json()) == (
        401,
        {"error": "Authentication credentials were not provided.", "details": {}},
    )
    response = api_client.get("/api/auth/verify/")
    assert (response.status_code, response.json()) == (
        401,
        {
            "error": "Authentication failed",
            "detail": "Authentication credentials were not provided.",
            "code": "AUTHENTICATION_FAILED",
            "field_errors": {},
        },
    )


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda user: sign(access_claims(user, exp=int((timezone.now() - timedelta(seconds=5)).timestamp()))),
            id="expired",
        ),
        pytest.param(lambda user: tamper(sign(access_claims(user))), id="tampered"),
        pytest.param(lambda user: unsigned(access_claims(user)), id="alg-none"),
        pytest.param(lambda user: sign(access_claims(user, aud="someone-else")), id="wrong-audience"),
        pytest.param(lambda user: sign(access_claims(user, iss="evil")), id="wrong-issuer"),
        pytest.param(lambda user: sign(access_claims(user), key="another-secret-key-of-32-bytes!!"), id="wrong-key"),
        pytest.param(lambda user: sign(access_claims(user), algorithm="HS512"), id="other-algorithm"),
        pytest.param(lambda user: sign(access_claims(user, token_type="refresh")), id="refresh-as-access"),
    ],
)
def test_bad_tokens_are_rejected(alice, bearer, forge):
    assert bearer(sign(access_claims(alice))).get(ME).status_code == 200  # the well-formed control
    response = bearer(forge(alice)).get(ME)
    assert (response.status_code, response.json()) == (401, INVALID)
    twin = bearer(forge(alice)).get("/api/auth/me")
    assert (twin.status_code, twin.json()) == (
        401,
        {"error": "Authentication failed", "message": "Given token not valid for any token type"},
    )


def test_a_blacklisted_refresh_token_is_refused_and_its_session_ends(alice, login, bearer):
    tokens = login(alice)
    assert (
        bearer(tokens["access_token"])
        .post("/api/auth/jwt/logout/", {"refresh": tokens["refresh_token"]}, format="json")
        .status_code
        == 200
    )
    response = APIClient().post("/api/auth/jwt/refresh/", {"refresh": tokens["refresh_token"]}, format="json")
    assert (response.status_code, response.json()) == (401, {"detail": "Token is blacklisted"})
    response = bearer(tokens["access_token"]).get(ME)
    assert (response.status_code, response.json()) == (401, {"detail": "Session has been revoked."})


def test_a_deleted_users_tokens_stop_working(alice, login, bearer, client_for):
    tokens = login(alice)
    plain = client_for(alice)
    alice.delete()
    assert bearer(tokens["access_token"]).get(ME).status_code == 401
    assert plain.get(ME).json() == {"detail": "User not found"}
    refresh = APIClient().post("/api/auth/refresh/", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert (refresh.status_code, refresh.json()) == (
        401,
        union_error("Authentication failed", "Token is invalid or expired", "TOKEN_INVALID"),
    )


def test_a_deactivated_users_tokens_stop_working(alice, login, bearer):
    tokens = login(alice)
    alice.is_active = False
    alice.save()
    assert bearer(tokens["access_token"]).get(ME).json() == {"detail": "User is inactive"}
    assert (
        APIClient().post("/api/auth/jwt/refresh/", {"refresh": tokens["refresh_token"]}, format="json").status_code
        == 401
    )


def test_reusing_a_rotated_refresh_token_revokes_the_whole_session(alice, login, bearer):
    first = login(alice)
    rotated = APIClient().post("/api/auth/refresh/", {"refresh_token": first["refresh_token"]}, format="json").json()
    assert bearer(rotated["access_token"]).get(ME).status_code == 200
    age_rotation(seconds=31)  # past the reuse leeway (30 s by default)
    replay = APIClient().post("/api/auth/refresh/", {"refresh_token": first["refresh_token"]}, format="json")
    assert (replay.status_code, replay.json()) == (
        401,
        union_error("Authentication failed", "Token is blacklisted", "TOKEN_INVALID"),
    )
    # The thief's replay ended the family: the legitimate, newer tokens are dead too.
    assert bearer(rotated["access_token"]).get(ME).status_code == 401
    again = APIClient().post("/api/auth/refresh/", {"refresh_token": rotated["refresh_token"]}, format="json")
    assert again.status_code == 401
    session = AuthSession.objects.get(user=alice)
    assert (session.revoked_reason, session.revoked_at is not None) == ("refresh_reuse", True)
    assert actions() == ["LOGIN", "REFRESH", "TOKEN_REUSE"]


def test_log_out_everywhere_ends_every_token(alice, bob, login, bearer, client_for):
    one, two = login(alice), login(alice)
    sessionless = client_for(alice)  # a token issued without a session (version 0)
    bobs = login(bob)
    response = bearer(one["access_token"]).post("/api/auth/sessions/revoke_all/")
    assert (response.status_code, response.json()) == (200, {"revoked": 2})
    for client in (bearer(one["access_token"]), bearer(two["access_token"]), sessionless):
        assert client.get(ME).status_code == 401
    assert (
        APIClient().post("/api/auth/refresh/", {"refresh_token": two["refresh_token"]}, format="json").status_code
        == 401
    )
    assert bearer(bobs["access_token"]).get(ME).status_code == 200  # another user is untouched
    assert login(alice)["access_token"]  # and a new login works


def test_the_cookie_needs_the_csrf_double_submit_for_writes(alice, login):
    client = APIClient()
    login(alice, path="/api/auth/login", client=client)
    assert client.get(ME).json() == {
        "id": str(alice.pk),
        "email": alice.email,
        "username": "alice",
        "first_name": "Alice",
        "last_name": "",
    }
    response = client.patch(ME, {"first_name": "Mallory"}, format="json")
    assert (response.status_code, response.json()) == (422, {"detail": "CSRF token missing or incorrect."})
    response = client.patch(ME, {"first_name": "Mallory"}, format="json", HTTP_X_CSRF_TOKEN="forged")
    assert response.status_code == 422
    alice.refresh_from_db()
    assert alice.first_name == "Alice"
    csrf = client.cookies["csrf_access_token"].value
    response = client.patch(ME, {"first_name": "Alicia"}, format="json", HTTP_X_CSRF_TOKEN=csrf)
    assert (response.status_code, response.json()["first_name"]) == (200, "Alicia")


def test_a_bad_access_cookie_is_no_credential(alice, api_client):
    api_client.cookies["access_token_cookie"] = tamper(sign(access_claims(alice)))
    response = api_client.get(ME)
    assert (response.status_code, response.json()) == (401, {"detail": "Authentication credentials were not provided."})
    api_client.cookies["access_token_cookie"] = unsigned(access_claims(alice))
    assert api_client.get("/api/auth/me").status_code == 401
    # A stale cookie does not break the public routes.
    public = api_client.post("/api/access/email-confirmation-control/", {"email": "x@example.com"}, format="json")
    assert public.status_code == 200


def test_the_django_session_is_accepted(alice):
    client = APIClient()
    client.force_login(alice)
    assert client.get(ME).json()["email"] == alice.email


# --- API keys ---------------------------------------------------------------------------------


def make_key(client, **body):
    response = client.post("/api/auth/api-keys/", {"name": "ci", **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["key"]


def test_an_api_key_authenticates_within_its_scope(alice, client_for):
    read_key = make_key(client_for(alice), scopes=["read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"ApiKey {read_key}")
    assert client.get(ME).json()["email"] == alice.email
    response = client.patch(ME, {"first_name": "Eve"}, format="json")
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "This API key's scopes (read) do not allow PATCH."},
    )
    alice.refresh_from_db()
    assert alice.first_name == "Alice"
    write_key = make_key(client_for(alice), name="deploy", scopes=["read", "write"])
    client.credentials(HTTP_AUTHORIZATION=f"ApiKey {write_key}")
    device = {"device_type": "desktop", "device_name": "build server"}
    assert client.post("/api/access/logged-devices/", device, format="json").status_code == 201
    assert ApiKey.objects.get(name="deploy").last_used_at is not None


def test_an_api_key_is_refused_outside_its_allowed_addresses(alice, client_for):
    key = make_key(client_for(alice), allowed_ips=["10.1.0.0/16", "192.0.2.7"])
    outside = APIClient(REMOTE_ADDR="198.51.100.1")
    outside.credentials(HTTP_AUTHORIZATION=f"ApiKey {key}")
    response = outside.get(ME)
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "This API key may not be used from this address."},
    )
    for address in ("10.1.200.3", "192.0.2.7"):
        inside = APIClient(REMOTE_ADDR=address)
        inside.credentials(HTTP_AUTHORIZATION=f"ApiKey {key}")
        assert inside.get(ME).status_code == 200


def test_unknown_expired_and_revoked_api_keys_are_401(alice, client_for):
    owner = client_for(alice)
    key = make_key(owner)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="ApiKey ck_not-a-real-key")
    assert (client.get(ME).status_code, client.get(ME).json()) == (401, {"detail": "Invalid API key."})
    ApiKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.credentials(HTTP_AUTHORIZATION=f"ApiKey {key}")
    assert client.get(ME).json() == {"detail": "API key has expired."}
    ApiKey.objects.update(expires_at=None)
    assert client.get(ME).status_code == 200
    key_id = ApiKey.objects.get().pk
    assert owner.post(f"/api/auth/api-keys/{key_id}/revoke/").status_code == 200
    assert client.get(ME).json() == {"detail": "Invalid API key."}


def test_an_api_key_cannot_manage_keys_or_sessions(alice, client_for):
    key = make_key(client_for(alice), scopes=["read", "write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"ApiKey {key}")
    response = client.post("/api/auth/api-keys/", {"name": "escalate", "scopes": ["write"]}, format="json")
    assert (response.status_code, response.json()["detail"]) == (
        403,
        "Managing sessions and API keys requires a login token, not an API key.",
    )
    assert client.get("/api/auth/sessions/").status_code == 403
    assert ApiKey.objects.count() == 1


def test_user_from_access_token_applies_every_check(alice, login):
    from rest_framework_simplejwt.exceptions import InvalidToken

    from custos.identity.authentication import user_from_access_token

    tokens = login(alice)
    assert user_from_access_token(tokens["access_token"]) == alice
    for bad in (tokens["refresh_token"], unsigned(access_claims(alice)), "garbage"):
        with pytest.raises(InvalidToken):
            user_from_access_token(bad)
    AuthSession.objects.update(revoked_at=timezone.now())
    with pytest.raises(InvalidToken):
        user_from_access_token(tokens["access_token"])
