"""Authentication costs one indexed query per request, and every revocation counts on the next one.

The JWT authenticators (header, cookie, ``user_from_access_token``) read the user and the liveness of
the token's session in one statement (``selectors.token_user``); of a token only its signature check
is remembered in the process (the same bytes verify the same way; expiry is checked on every request),
so a logout, a revoked session, a new token version (log out everywhere, password change) or a
deactivation refuses the very next request. API keys cost one query, plus a write of ``last_used_at``
at most once a minute.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken

from custos.identity.authentication import (
    ApiKeyAuthentication,
    CookieJWTAuthentication,
    CustosJWTAuthentication,
    _verified,
    user_from_access_token,
)
from custos.identity.models import ApiKey, AuthSession
from custos.identity.tests.factories import api_key, api_key_client, auth_session
from custos.identity.tests.helpers import access_claims, sign, tamper
from custos.identity.tokens import SESSION_CLAIM, decode

pytestmark = pytest.mark.django_db

ME = "/api/auth/users/me/"
SESSION_REVOKED = {"detail": "Session has been revoked."}
TOKEN_REVOKED = {"detail": "Token has been revoked."}


def header_request(token: str, scheme: str = "Bearer") -> Request:
    return Request(APIRequestFactory().get(ME, HTTP_AUTHORIZATION=f"{scheme} {token}"))


def cookie_request(token: str) -> Request:
    factory = APIRequestFactory()
    factory.cookies["access_token_cookie"] = token
    return Request(factory.get(ME))


def queries_of(call) -> tuple[list[str], object]:
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return [query["sql"] for query in captured.captured_queries], result


# --- The cost ------------------------------------------------------------------------------------


def test_a_session_token_costs_one_query_in_every_authenticator(alice, login):
    token = login(alice)["access_token"]
    sql, (user, validated) = queries_of(lambda: CustosJWTAuthentication().authenticate(header_request(token)))
    assert (user, str(validated["user_id"])) == (alice, str(alice.pk))
    assert len(sql) == 1
    assert "EXISTS" in sql[0].upper() and "identity_authsession" in sql[0]  # the session, in the same statement
    sql, (user, _) = queries_of(lambda: CookieJWTAuthentication().authenticate(cookie_request(token)))
    assert (user, len(sql)) == (alice, 1)
    sql, user = queries_of(lambda: user_from_access_token(token))
    assert (user, len(sql)) == (alice, 1)


def test_a_token_without_a_session_costs_one_query(alice, client_for):
    token = sign(access_claims(alice))  # no ``sid`` claim
    sql, (user, _) = queries_of(lambda: CustosJWTAuthentication().authenticate(header_request(token, "Token")))
    assert (user, len(sql)) == (alice, 1)
    assert "EXISTS" not in sql[0].upper()


def test_a_request_with_a_session_token_costs_no_more_than_one_without(alice, login, bearer, client_for):
    """End to end: the session check adds no query to a route any more."""
    with_session = bearer(login(alice)["access_token"])
    without = client_for(alice)
    with_session.get(ME), without.get(ME)  # first use (settings rows, caches) out of the way
    sql_with, response_with = queries_of(lambda: with_session.get(ME))
    sql_without, response_without = queries_of(lambda: without.get(ME))
    assert (response_with.status_code, response_without.status_code) == (200, 200)
    assert response_with.json() == response_without.json()
    assert len(sql_with) == len(sql_without)


# --- Revocation takes effect on the very next request ------------------------------------------


def test_revoking_one_session_ends_its_tokens_on_the_next_request(alice, login, bearer):
    first, second = login(alice), login(alice)
    one, two = bearer(first["access_token"]), bearer(second["access_token"])
    assert one.get(ME).status_code == 200
    session_id = decode(first["access_token"])[SESSION_CLAIM]
    assert two.post(f"/api/auth/sessions/{session_id}/revoke/").status_code == 200
    response = one.get(ME)
    assert (response.status_code, response.json()) == (401, SESSION_REVOKED)
    assert two.get(ME).status_code == 200  # the other session of the same user lives on
    revoked = AuthSession.objects.filter(user=alice, revoked_at__isnull=False).values_list("pk", flat=True)
    assert [str(pk) for pk in revoked] == [session_id]
    with pytest.raises(InvalidToken):
        user_from_access_token(first["access_token"])


def test_logging_out_ends_the_access_token_on_the_next_request(alice, login, bearer):
    tokens = login(alice)
    client = bearer(tokens["access_token"])
    assert client.get(ME).status_code == 200
    out = client.post("/api/auth/jwt/logout/", {"refresh": tokens["refresh_token"]}, format="json")
    assert out.status_code == 200
    response = client.get(ME)
    assert (response.status_code, response.json()) == (401, SESSION_REVOKED)


def test_an_expired_session_ends_its_tokens(alice, login, bearer):
    tokens = login(alice)
    client = bearer(tokens["access_token"])
    assert client.get(ME).status_code == 200
    AuthSession.objects.filter(user=alice).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert (client.get(ME).status_code, client.get(ME).json()) == (401, SESSION_REVOKED)


def test_a_new_token_version_ends_every_token_on_the_next_request(alice, bob, login, bearer, client_for):
    tokens = login(alice)
    client, sessionless = bearer(tokens["access_token"]), client_for(alice)
    bobs = bearer(login(bob)["access_token"])  # another organization's owner
    assert (client.get(ME).status_code, sessionless.get(ME).status_code) == (200, 200)
    assert client.post("/api/auth/sessions/revoke_all/").json() == {"revoked": 1}
    for revoked in (client, sessionless):
        response = revoked.get(ME)
        assert (response.status_code, response.json()) == (401, TOKEN_REVOKED)
    alice.refresh_from_db()
    assert alice.token_version == 1
    assert bobs.get(ME).status_code == 200  # bob's tokens are untouched


def test_a_password_change_ends_every_token_on_the_next_request(alice, login, bearer):
    tokens = login(alice)
    client = bearer(tokens["access_token"])
    body = {"current_password": "correct-horse-battery-staple", "new_password": "Another-Long-Passphrase-77"}
    assert client.post("/api/auth/users/set_password/", body, format="json").status_code == 204
    response = client.get(ME)
    assert (response.status_code, response.json()) == (401, TOKEN_REVOKED)
    cookie = APIClient()
    cookie.cookies["access_token_cookie"] = tokens["access_token"]
    response = cookie.get(ME)  # a revoked cookie is no credential at all
    assert (response.status_code, response.json()) == (401, {"detail": "Authentication credentials were not provided."})


def test_a_deactivation_ends_every_token_on_the_next_request(alice, staff, login, bearer, client_for):
    tokens = login(alice)
    client, sessionless = bearer(tokens["access_token"]), client_for(alice)
    assert client.get(ME).status_code == 200
    assert client_for(staff).post(f"/api/users/{alice.pk}/deactivate/").json() == {
        "id": str(alice.pk),
        "is_active": False,
    }
    for refused in (client, sessionless):
        response = refused.get(ME)
        assert (response.status_code, response.json()) == (401, {"detail": "User is inactive"})
    with pytest.raises(AuthenticationFailed):
        user_from_access_token(tokens["access_token"])


def test_a_deleted_user_is_not_found(alice, login, bearer):
    tokens = login(alice)
    alice.delete()
    response = bearer(tokens["access_token"]).get(ME)
    assert (response.status_code, response.json()) == (401, {"detail": "User not found"})


def test_a_session_of_another_user_does_not_authenticate(alice, bob, bearer):
    """A token naming bob's live session (another organization) under alice's id is refused."""
    bobs_session = auth_session(bob).session_id
    forged = sign(access_claims(alice, sid=bobs_session, ver=0))
    response = bearer(forged).get(ME)
    assert (response.status_code, response.json()) == (401, SESSION_REVOKED)
    assert AuthSession.objects.get(pk=bobs_session).revoked_at is None  # nothing changed


@pytest.mark.parametrize(
    ("claims", "body"),
    [
        pytest.param({"sid": "not-a-session-id"}, SESSION_REVOKED, id="malformed-session"),
        pytest.param({"user_id": "not-a-user-id"}, {"detail": "User not found"}, id="malformed-user"),
        pytest.param({"sid": "00000000-0000-0000-0000-000000000000"}, SESSION_REVOKED, id="unknown-session"),
    ],
)
def test_malformed_or_unknown_identifiers_are_401(alice, bearer, claims, body):
    response = bearer(sign(access_claims(alice, **claims))).get(ME)
    assert (response.status_code, response.json()) == (401, body)


def test_a_token_without_a_user_claim_is_401(alice, bearer):
    claims = access_claims(alice)
    del claims["user_id"]
    response = bearer(sign(claims)).get(ME)
    assert (response.status_code, response.json()) == (
        401,
        {"detail": "Token contained no recognizable user identification"},
    )


# --- API keys ----------------------------------------------------------------------------------


def key_request(raw: str) -> Request:
    return Request(APIRequestFactory().get(ME, HTTP_AUTHORIZATION=f"ApiKey {raw}"))


def test_an_api_key_costs_one_query_and_records_its_use_once_a_minute(alice):
    key, raw = api_key(alice)
    assert key.last_used_at is None
    sql, (user, used) = queries_of(lambda: ApiKeyAuthentication().authenticate(key_request(raw)))
    assert (user, used, len(sql)) == (alice, key, 2)  # the key with its user, then the first use recorded
    assert sql[1].upper().startswith("UPDATE")
    first_use = ApiKey.objects.get(pk=key.pk).last_used_at
    assert first_use is not None
    sql, (user, _) = queries_of(lambda: ApiKeyAuthentication().authenticate(key_request(raw)))
    assert (user, len(sql)) == (alice, 1)  # used again within the minute: no write
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first_use
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    sql, _ = queries_of(lambda: ApiKeyAuthentication().authenticate(key_request(raw)))
    assert len(sql) == 2
    assert ApiKey.objects.get(pk=key.pk).last_used_at > first_use


def test_a_revoked_api_key_is_refused_on_the_next_request(alice, client_for):
    key, raw = api_key(alice)
    client = api_key_client(raw)
    assert client.get(ME).status_code == 200
    assert client_for(alice).post(f"/api/auth/api-keys/{key.pk}/revoke/").status_code == 200
    response = client.get(ME)
    assert (response.status_code, response.json()) == (401, {"detail": "Invalid API key."})


# --- The remembered signature check ------------------------------------------------------------------

REFUSED = {"detail": "Given token not valid for any token type"}  # simplejwt's detail, as before


def test_a_token_verified_before_is_refused_once_it_expires(alice):
    expires = int(time.time()) + 2  # at least a second from now
    token = sign(access_claims(alice, exp=expires))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert [client.get(ME).status_code for _ in range(2)] == [200, 200]
    assert _verified(token.encode()).payload["exp"] == expires  # remembered
    time.sleep(max(0.0, expires - time.time()) + 0.1)
    response = client.get(ME)
    assert (response.status_code, response.json()) == (401, REFUSED)
    never_seen = APIClient()
    never_seen.credentials(HTTP_AUTHORIZATION=f"Bearer {sign(access_claims(alice, exp=expires, jti='b' * 32))}")
    assert never_seen.get(ME).json() == response.json()  # the same answer as a token expired when first seen


def test_a_forged_token_is_refused_every_time_and_never_remembered(alice):
    _verified.cache_clear()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tamper(sign(access_claims(alice)))}")
    responses = [client.get(ME) for _ in range(2)]
    assert [(r.status_code, r.json()) for r in responses] == [(401, REFUSED)] * 2
    assert _verified.cache_info().currsize == 0


def test_a_remembered_token_still_costs_its_query_and_sees_a_deactivation(alice, login, bearer):
    client = bearer(login(alice)["access_token"])
    assert client.get(ME).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(ME).status_code == 200
    assert len(captured.captured_queries) == 1
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    response = client.get(ME)
    assert response.status_code == 401
