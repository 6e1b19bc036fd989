"""pipeline: djoser's /api/auth/users/* and /api/auth/jwt/*."""

from unittest.mock import ANY

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from rest_framework.test import APIClient

from conftest import PASSWORD
from custos.identity.models import AuthSession
from custos.identity.tests.helpers import STRONG, actions, last_mail, uid_and_token

pytestmark = pytest.mark.django_db
User = get_user_model()


def post(path, body, client=None):
    return (client or APIClient()).post(path, body, format="json")


def test_register_creates_the_user_and_sends_the_confirmation(db):
    response = post(
        "/api/auth/users/",
        {"email": "Nina@Example.com", "username": "nina", "password": STRONG, "re_password": STRONG},
    )
    user = User.objects.get()
    assert (response.status_code, response.json()) == (
        201,
        {"id": str(user.pk), "email": "nina@example.com", "username": "nina", "first_name": "", "last_name": ""},
    )
    assert user.check_password(STRONG) and not user.email_confirmed
    assert last_mail().to == ["nina@example.com"]
    assert actions() == ["CREATE"]


def test_register_cannot_set_staff_or_clearance(db):
    response = post(
        "/api/auth/users/",
        {
            "email": "eve@example.com",
            "username": "eve",
            "password": STRONG,
            "is_staff": True,
            "is_superuser": True,
            "is_us_person": True,
            "security_clearance_level": "TOP_SECRET",
            "credits": 1000,
            "email_confirmed": True,
        },
    )
    assert response.status_code == 201
    eve = User.objects.get()
    assert (eve.is_staff, eve.is_superuser, eve.credits, eve.email_confirmed) == (False, False, 0, False)
    assert eve.memberships.count() == 0  # clearance is attested by an organization, on a membership


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"email": "alice@northwind.example", "username": "x1", "password": STRONG},
            {"email": ["A user with this email already exists."]},
        ),
        (
            {"email": "new@example.com", "username": "ALICE", "password": STRONG},
            {"username": ["A user with this username already exists."]},
        ),
        (
            {"email": "new@example.com", "username": "new", "password": STRONG, "re_password": "other"},
            {"non_field_errors": ["The two password fields didn't match."]},
        ),
        (
            {"email": "new@example.com", "username": "new", "password": "123"},
            {
                "password": [
                    "This password is too short. It must contain at least 8 characters.",
                    "This password is too common.",
                    "This password is entirely numeric.",
                ]
            },
        ),
        ({"email": "not-an-email", "username": "new", "password": STRONG}, {"email": ["Enter a valid email address."]}),
    ],
)
def test_register_bad_input_is_400_and_creates_nothing(alice, body, errors):
    response = post("/api/auth/users/", body)
    assert (response.status_code, response.json()) == (400, errors)
    assert User.objects.count() == 1
    assert mail.outbox == []


def test_jwt_create_refresh_verify_logout(alice):
    tokens = post("/api/auth/jwt/create/", {"email": alice.email, "password": PASSWORD})
    assert (tokens.status_code, tokens.json()) == (200, {"refresh": ANY, "access": ANY})
    pair = tokens.json()
    rotated = post("/api/auth/jwt/refresh/", {"refresh": pair["refresh"]})
    assert (rotated.status_code, rotated.json()) == (200, {"access": ANY, "refresh": ANY})
    new = rotated.json()
    assert new["refresh"] != pair["refresh"]
    assert post("/api/auth/jwt/verify/", {"token": new["access"]}).json() == {}
    old = post("/api/auth/jwt/verify/", {"token": pair["refresh"]})
    assert (old.status_code, old.json()) == (401, {"detail": "Token is blacklisted"})
    caller = APIClient(HTTP_AUTHORIZATION=f"Bearer {new['access']}")
    assert post("/api/auth/jwt/logout/", {"refresh": new["refresh"]}, caller).json() == {}
    again = post("/api/auth/jwt/refresh/", {"refresh": new["refresh"]})
    assert (again.status_code, again.json()) == (401, {"detail": "Token is blacklisted"})
    assert actions() == ["LOGIN", "REFRESH", "LOGOUT"]


def test_jwt_create_with_a_wrong_password_is_401(alice):
    response = post("/api/auth/jwt/create/", {"email": alice.email, "password": "wrong"})
    assert (response.status_code, response.json()) == (
        401,
        {"detail": "No active account found with the given credentials"},
    )
    response = post("/api/auth/jwt/create/", {"password": "wrong"})
    assert (response.status_code, response.json()) == (400, {"email": ["This field is required (or give username)."]})


def test_jwt_bad_tokens_are_401(db):
    for path, body in (
        ("/api/auth/jwt/refresh/", {"refresh": "garbage"}),
        ("/api/auth/jwt/verify/", {"token": "a.b.c"}),
    ):
        response = post(path, body)
        assert (response.status_code, response.json()) == (401, {"detail": "Token is invalid or expired"})
    # Logout requires authentication: an anonymous caller is refused before the body is read.
    anonymous = post("/api/auth/jwt/logout/", {})
    assert (anonymous.status_code, anonymous.json()) == (
        401,
        {"detail": "Authentication credentials were not provided."},
    )


def test_me_read_update_and_no_self_escalation(alice, amir, client_for):
    client = client_for(alice)
    response = client.put(
        "/api/auth/users/me/",
        {
            "first_name": "Al",
            "last_name": "Ice",
            "is_staff": True,
            "is_superuser": True,
            "security_clearance_level": "TOP_SECRET",
            "is_us_person": True,
            "email": "other@example.com",
        },
        format="json",
    )
    assert (response.status_code, response.json()) == (
        200,
        {"id": str(alice.pk), "email": alice.email, "username": "alice", "first_name": "Al", "last_name": "Ice"},
    )
    alice.refresh_from_db()
    assert (alice.is_staff, alice.is_superuser, alice.email) == (False, False, "alice@northwind.example")
    assert set(alice.memberships.values_list("security_clearance_level", "is_us_person")) == {("UNCLASSIFIED", False)}
    assert client.patch("/api/auth/users/me/", {"username": "amir"}, format="json").status_code == 400
    assert actions() == ["UPDATE"]


def test_me_delete_needs_the_password_then_the_tokens_die(alice, client_for, amir):
    client = client_for(alice)
    response = client.delete("/api/auth/users/me/", {"current_password": "nope"}, format="json")
    assert (response.status_code, response.json()) == (400, {"current_password": ["Invalid password."]})
    assert User.objects.filter(pk=alice.pk).exists()
    assert client.delete("/api/auth/users/me/", {"current_password": PASSWORD}, format="json").status_code == 204
    assert not User.objects.filter(pk=alice.pk).exists()
    assert User.objects.filter(pk=amir.pk).exists()
    assert client.get("/api/auth/users/me/").status_code == 401


def test_reset_password_flow_is_single_use_and_silent_for_unknown_addresses(alice, login):
    tokens = login(alice)
    assert post("/api/auth/users/reset_password/", {"email": "nobody@example.com"}).status_code == 204
    assert mail.outbox == []
    response = post("/api/auth/users/reset_password/", {"email": alice.email})
    assert (response.status_code, response.content) == (204, b"")
    uid, token = uid_and_token(last_mail())
    assert last_mail().to == [alice.email] and "reset-password?uid=" in last_mail().body
    body = {"uid": uid, "token": token, "new_password": STRONG, "re_new_password": STRONG}
    assert post("/api/auth/users/reset_password_confirm/", body).status_code == 204
    alice.refresh_from_db()
    assert alice.check_password(STRONG)
    again = post(
        "/api/auth/users/reset_password_confirm/",
        {**body, "new_password": "Another-Long-Pass-9", "re_new_password": "Another-Long-Pass-9"},
    )
    assert (again.status_code, again.json()) == (400, {"token": ["Invalid or expired token."]})
    # The sessions opened before the reset are over.
    assert (
        APIClient(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").get("/api/auth/users/me/").status_code == 401
    )
    assert actions() == [
        "LOGIN",
        "PASSWORD_RESET_REQUEST",
        "PASSWORD_RESET_REQUEST",
        "PASSWORD_RESET",
        "REVOKE_ALL",
    ]


def test_reset_confirm_with_a_bad_token_changes_nothing(alice):
    response = post("/api/auth/users/reset_password_confirm/", {"uid": "bad", "token": "bad", "new_password": STRONG})
    assert (response.status_code, response.json()) == (400, {"token": ["Invalid or expired token."]})
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_set_password(alice, client_for):
    client = client_for(alice)
    wrong = client.post(
        "/api/auth/users/set_password/", {"current_password": "x", "new_password": STRONG}, format="json"
    )
    assert (wrong.status_code, wrong.json()) == (400, {"current_password": ["Invalid password."]})
    weak = client.post(
        "/api/auth/users/set_password/", {"current_password": PASSWORD, "new_password": "short"}, format="json"
    )
    assert (weak.status_code, weak.json()) == (
        400,
        {"new_password": ["This password is too short. It must contain at least 8 characters."]},
    )
    ok = client.post(
        "/api/auth/users/set_password/",
        {"current_password": PASSWORD, "new_password": STRONG, "re_new_password": STRONG},
        format="json",
    )
    assert ok.status_code == 204
    alice.refresh_from_db()
    assert alice.check_password(STRONG)
    assert client.get("/api/auth/users/me/").status_code == 401  # old tokens revoked
    assert actions() == ["PASSWORD_CHANGE", "REVOKE_ALL"]


def test_activation_confirms_once(db):
    post("/api/auth/users/", {"email": "nina@example.com", "username": "nina", "password": STRONG})
    nina = User.objects.get()
    uid, token = uid_and_token(last_mail())
    assert post("/api/auth/users/activation/", {"uid": uid, "token": token}).status_code == 204
    nina.refresh_from_db()
    assert (nina.is_active, nina.email_confirmed) == (True, True)
    again = post("/api/auth/users/activation/", {"uid": uid, "token": token})
    assert (again.status_code, again.json()) == (400, {"token": ["Invalid or expired token."]})
    assert post("/api/auth/users/resend_activation/", {"email": "nina@example.com"}).status_code == 204
    assert len(mail.outbox) == 1  # already confirmed: nothing more to send
    assert actions() == ["CREATE", "EMAIL_CONFIRM", "EMAIL_CONFIRM_REQUEST"]


def test_an_account_deactivated_by_staff_is_never_reactivated_by_a_confirmation_link(staff, client_for):
    post("/api/auth/users/", {"email": "nina@example.com", "username": "nina", "password": STRONG})
    nina = User.objects.get(email="nina@example.com")
    uid, token = uid_and_token(last_mail())
    assert client_for(staff).post(f"/api/users/{nina.pk}/deactivate/").status_code == 200
    for path in ("/api/auth/users/activation/", "/api/access/email-confirmation-control/confirm/"):
        response = post(path, {"uid": uid, "token": token})
        assert response.status_code == 400, path
    nina.refresh_from_db()
    assert (nina.is_active, nina.email_confirmed) == (False, False)
    # No fresh link is sent to a deactivated account either.
    assert post("/api/auth/users/resend_activation/", {"email": "nina@example.com"}).status_code == 204
    assert len(mail.outbox) == 1
    assert post("/api/auth/jwt/create/", {"email": "nina@example.com", "password": STRONG}).status_code == 401
    assert "EMAIL_CONFIRM" not in actions()


def test_a_pipeline_login_opens_a_session(alice):
    post("/api/auth/jwt/create/", {"email": alice.email, "password": PASSWORD}, APIClient(HTTP_USER_AGENT="curl/8.0"))
    session = AuthSession.objects.get()
    assert (session.user_id, session.device_name, session.user_agent) == (alice.pk, "curl", "curl/8.0")


def test_an_expired_reset_token_is_refused(alice, settings):
    from custos.identity.tokens import encode_uid, password_reset_tokens

    issued_at = password_reset_tokens._num_seconds(password_reset_tokens._now()) - settings.PASSWORD_RESET_TIMEOUT - 1
    token = password_reset_tokens._make_token_with_timestamp(alice, issued_at, password_reset_tokens.secret)
    body = {"uid": encode_uid(alice), "token": token, "new_password": STRONG}
    response = post("/api/auth/users/reset_password_confirm/", body)
    assert (response.status_code, response.json()) == (400, {"token": ["Invalid or expired token."]})
    fresh = {**body, "token": password_reset_tokens.make_token(alice)}
    assert post("/api/auth/users/reset_password_confirm/", fresh).status_code == 204
