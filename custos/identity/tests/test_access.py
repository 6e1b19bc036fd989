"""access: users (register/list/detail/update/delete/me/avatar), auth, logged devices, recovery,
e-mail confirmation, pre-registration."""

from unittest.mock import ANY

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from conftest import PASSWORD
from custos.audit.models import AuditLog
from custos.identity.models import LoggedDevice, PreRegistration
from custos.identity.tests.helpers import STRONG, actions, last_mail, png_bytes, uid_and_token

pytestmark = pytest.mark.django_db
User = get_user_model()


def iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def _attested(user):
    """What a user response shows: the attestation of the user's only organization (null otherwise)."""
    from custos.orgs.selectors import attestation_shown

    shown = attestation_shown(memberships=list(user.memberships.all()), organization_id=None)
    return (None, None) if shown is None else (shown.is_us_person, shown.clearance_level)


def profile(user):
    user.refresh_from_db()
    return {
        "id": str(user.pk),
        "email": user.email,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone_number": user.phone_number,
        "birth_date": user.birth_date.isoformat() if user.birth_date else None,
        "avatar": f"http://testserver{user.avatar.url}" if user.avatar else None,
        "notification_settings": user.notification_settings,
        "email_confirmed": user.email_confirmed,
        "credits": user.credits,
        "is_us_person": _attested(user)[0],
        "security_clearance_level": _attested(user)[1],
        "is_staff": user.is_staff,
        "date_joined": iso(user.date_joined),
        "last_login": iso(user.last_login),
    }


REGISTER = {
    "email": "nina@example.com",
    "username": "nina",
    "password": STRONG,
    "password_confirm": STRONG,
    "phone_number": "+33 6 12 34 56 78",
    "birth_date": "1990-04-01",
    "notification_settings": {"email": True, "sms": False},
}


# --- Users ------------------------------------------------------------------------------------


def test_register(db):
    response = APIClient().post("/api/access/users/", REGISTER, format="json")
    nina = User.objects.get()
    assert (response.status_code, response.json()) == (201, profile(nina))
    assert response.json()["birth_date"] == "1990-04-01" and response.json()["phone_number"] == "+33 6 12 34 56 78"
    assert last_mail().subject == "Confirm your e-mail address"
    assert actions() == ["CREATE"]


def test_register_with_an_avatar_multipart(db):
    body = {**REGISTER, "notification_settings": None}
    body.pop("notification_settings")
    body["avatar"] = SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")
    response = APIClient().post("/api/access/users/", body, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["avatar"].startswith("http://testserver/media/avatars/")


def test_register_password_mismatch_is_a_non_field_error(db):
    response = APIClient().post(
        "/api/access/users/", {**REGISTER, "password_confirm": "Something-Else-1"}, format="json"
    )
    assert (response.status_code, response.json()) == (
        400,
        {"error": "Validation error", "details": {"non_field_errors": ["Passwords do not match."]}},
    )
    assert not User.objects.exists() and mail.outbox == []


def test_register_missing_fields_and_duplicates(alice):
    response = APIClient().post("/api/access/users/", {"email": alice.email, "username": "alice"}, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {
            "error": "Validation error",
            "details": {
                "email": ["A user with this email already exists."],
                "username": ["A user with this username already exists."],
                "password": ["This field is required."],
                "password_confirm": ["This field is required."],
            },
        },
    )


def test_register_cannot_escalate(db):
    body = {
        **REGISTER,
        "is_staff": True,
        "is_superuser": True,
        "is_us_person": True,
        "security_clearance_level": "SECRET",
    }
    assert APIClient().post("/api/access/users/", body, format="json").status_code == 201
    nina = User.objects.get()
    assert (nina.is_staff, nina.is_superuser, nina.memberships.count()) == (False, False, 0)
    assert _attested(nina) == (None, None)  # attested by an organization only


def test_list_is_staff_only(alice, bob, staff, client_for):
    response = client_for(alice).get("/api/access/users/")
    assert (response.status_code, response.json()) == (
        403,
        {"error": "You do not have permission to perform this action.", "details": {}},
    )
    response = client_for(staff).get("/api/access/users/")
    assert response.json() == {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [profile(alice), profile(bob), profile(staff)],
    }


def test_detail_update_delete_self_only_unless_staff(alice, bob, staff, client_for):
    mine = client_for(alice)
    assert mine.get(f"/api/access/users/{alice.pk}/").json() == profile(alice)
    for response in (
        mine.get(f"/api/access/users/{bob.pk}/"),
        mine.patch(f"/api/access/users/{bob.pk}/", {"first_name": "Hacked"}, format="json"),
        mine.put(f"/api/access/users/{bob.pk}/", {"first_name": "Hacked"}, format="json"),
        mine.delete(f"/api/access/users/{bob.pk}/"),
    ):
        assert (response.status_code, response.json()) == (404, {"error": "Not found.", "details": {}})
    bob.refresh_from_db()
    assert bob.first_name == "Bob"
    response = mine.patch(
        f"/api/access/users/{alice.pk}/",
        {"first_name": "Alicia", "is_staff": True, "security_clearance_level": "TOP_SECRET", "is_us_person": True},
        format="json",
    )
    assert (response.status_code, response.json()) == (200, profile(alice))
    assert (alice.first_name, alice.is_staff, _attested(alice)) == ("Alicia", False, (False, "UNCLASSIFIED"))
    assert (
        client_for(staff).patch(f"/api/access/users/{bob.pk}/", {"last_name": "Builder"}, format="json").status_code
        == 200
    )
    assert client_for(staff).delete(f"/api/access/users/{bob.pk}/").status_code == 204
    assert not User.objects.filter(pk=bob.pk).exists()
    # One's own account: only with the current password.
    missing = mine.delete(f"/api/access/users/{alice.pk}/")
    assert (missing.status_code, missing.json()) == (
        400,
        {"error": "Validation error", "details": {"current_password": ["This field is required."]}},
    )
    wrong = mine.delete(f"/api/access/users/{alice.pk}/", {"current_password": "nope"}, format="json")
    assert (wrong.status_code, wrong.json()) == (
        400,
        {"error": "Validation error", "details": {"current_password": ["Invalid password."]}},
    )
    assert User.objects.filter(pk=alice.pk).exists()
    deleted = mine.delete(f"/api/access/users/{alice.pk}/", {"current_password": PASSWORD}, format="json")
    assert deleted.status_code == 204
    assert mine.get("/api/access/users/me/").status_code == 401  # the deleted user's token is dead
    assert actions() == ["UPDATE", "UPDATE", "DELETE", "DELETE"]


def test_me_get_and_patch(alice, client_for):
    client = client_for(alice)
    assert client.get("/api/access/users/me/").json() == profile(alice)
    response = client.patch(
        "/api/access/users/me/",
        {
            "phone_number": "555-0100",
            "notification_settings": {"alerts": True},
            "credits": 999,
            "email_confirmed": True,
        },
        format="json",
    )
    assert (response.status_code, response.json()) == (200, profile(alice))
    assert (alice.phone_number, alice.notification_settings, alice.credits, alice.email_confirmed) == (
        "555-0100",
        {"alerts": True},
        0,
        False,
    )
    bad = client.patch("/api/access/users/me/", {"birth_date": "yesterday"}, format="json")
    assert (bad.status_code, bad.json()["details"]) == (
        400,
        {"birth_date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
    )


def test_avatar_upload_is_validated(alice, client_for, settings):
    client = client_for(alice)
    response = client.post(
        "/api/access/users/me/avatar/",
        {"avatar": SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")},
        format="multipart",
    )
    assert (response.status_code, response.json()) == (200, profile(alice))
    assert alice.avatar.name.startswith("avatars/")
    fake = client.post(
        "/api/access/users/me/avatar/",
        {"avatar": SimpleUploadedFile("evil.png", b"<?php echo 1; ?>", content_type="image/png")},
        format="multipart",
    )
    assert (fake.status_code, fake.json()) == (
        400,
        {
            "error": "Validation error",
            "details": {
                "avatar": ["Upload a valid image. The file you uploaded was either not an image or a corrupted image."]
            },
        },
    )
    settings.AVATAR_MAX_BYTES = 64
    big = client.post(
        "/api/access/users/me/avatar/",
        {"avatar": SimpleUploadedFile("big.png", png_bytes((64, 64)), content_type="image/png")},
        format="multipart",
    )
    assert (big.status_code, big.json()["details"]) == (400, {"avatar": ["The image is larger than 0 KB."]})
    before = alice.avatar.name
    alice.refresh_from_db()
    assert alice.avatar.name == before
    assert actions() == ["UPDATE"]


# --- Auth -------------------------------------------------------------------------------------


def test_login_refresh_logout(alice):
    client = APIClient(HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/130.0 Safari/537.36")
    response = client.post("/api/access/auth/login/", {"email": alice.email, "password": PASSWORD}, format="json")
    assert (response.status_code, response.json()) == (200, {"access": ANY, "refresh": ANY})
    first = response.json()
    device = LoggedDevice.objects.get()
    assert (device.user, device.device_type, device.device_name, device.place) == (
        alice,
        "desktop",
        "Chrome on Windows",
        "127.0.0.1",
    )
    rotated = client.post("/api/access/auth/refresh/", {"refresh": first["refresh"]}, format="json")
    assert (rotated.status_code, rotated.json()) == (200, {"access": ANY, "refresh": ANY})
    old = client.post("/api/access/auth/refresh/", {"refresh": first["refresh"]}, format="json")
    assert (old.status_code, old.json()) == (401, {"error": "Token is blacklisted", "details": {}})
    second = client.post("/api/access/auth/login/", {"email": alice.email, "password": PASSWORD}, format="json").json()
    out = client.post(
        "/api/access/auth/logout/",
        {"refresh": second["refresh"]},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {second['access']}",
    )
    assert (out.status_code, out.json()) == (200, {"detail": "Successfully logged out."})
    assert client.post("/api/access/auth/refresh/", {"refresh": second["refresh"]}, format="json").status_code == 401
    assert LoggedDevice.objects.count() == 1  # the same device, seen twice
    # The replay came within the reuse leeway: refused, recorded, the session kept.
    assert actions() == ["LOGIN", "REFRESH", "REFRESH", "LOGIN", "LOGOUT"]
    assert [row.success for row in AuditLog.objects.filter(action="REFRESH").order_by("sequence")] == [True, False]


def test_login_bad_credentials_and_bad_input(alice):
    response = APIClient().post("/api/access/auth/login/", {"email": alice.email, "password": "nope"}, format="json")
    assert (response.status_code, response.json()) == (
        401,
        {"error": "No active account found with the given credentials", "details": {}},
    )
    response = APIClient().post("/api/access/auth/login/", {"email": alice.email}, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"error": "Validation error", "details": {"password": ["This field is required."]}},
    )
    assert not LoggedDevice.objects.exists()
    assert AuditLog.objects.get().action == "LOGIN_FAILED"


# --- Logged devices ---------------------------------------------------------------------------


def device_body(device):
    device.refresh_from_db()
    return {
        "id": str(device.pk),
        "device_type": device.device_type,
        "device_name": device.device_name,
        "place": device.place,
        "ip_address": device.ip_address,
        "last_login_at": iso(device.last_login_at),
        "created_at": iso(device.created_at),
    }


def test_logged_devices_crud(alice, client_for):
    client = client_for(alice)
    response = client.post(
        "/api/access/logged-devices/", {"device_type": "mobile", "device_name": "Pixel", "place": "Lyon"}, format="json"
    )
    device = LoggedDevice.objects.get()
    assert (response.status_code, response.json()) == (201, device_body(device))
    duplicate = client.post(
        "/api/access/logged-devices/", {"device_type": "mobile", "device_name": "Pixel"}, format="json"
    )
    assert (duplicate.status_code, duplicate.json()) == (
        400,
        {
            "error": "Validation error",
            "details": {"non_field_errors": ["A device with this type and name is already registered."]},
        },
    )
    assert client.get("/api/access/logged-devices/").json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [device_body(device)],
    }
    assert client.get(f"/api/access/logged-devices/{device.pk}/").json() == device_body(device)
    patched = client.patch(f"/api/access/logged-devices/{device.pk}/", {"place": "Paris"}, format="json")
    assert (patched.status_code, patched.json()) == (200, device_body(device))
    assert device.place == "Paris"
    bad = client.post("/api/access/logged-devices/", {"device_type": "tablet", "device_name": "X"}, format="json")
    assert (bad.status_code, bad.json()["details"]) == (400, {"device_type": ['"tablet" is not a valid choice.']})
    assert client.delete(f"/api/access/logged-devices/{device.pk}/").status_code == 204
    assert not LoggedDevice.objects.exists()
    assert actions() == ["CREATE", "UPDATE", "DELETE"]


def test_another_users_device_is_404(alice, bob, client_for):
    device = LoggedDevice.objects.create(user=alice, device_type="desktop", device_name="Work PC")
    thief = client_for(bob)
    assert thief.get("/api/access/logged-devices/").json()["count"] == 0
    for response in (
        thief.get(f"/api/access/logged-devices/{device.pk}/"),
        thief.patch(f"/api/access/logged-devices/{device.pk}/", {"place": "x"}, format="json"),
        thief.delete(f"/api/access/logged-devices/{device.pk}/"),
    ):
        assert (response.status_code, response.json()) == (404, {"error": "Not found.", "details": {}})
    assert LoggedDevice.objects.get().place == ""


# --- Recovery and confirmation ----------------------------------------------------------------

RESET_SENT = {"detail": "If an account exists for this e-mail address, a password reset link has been sent to it."}


def test_reset_password_control_answers_the_same_for_unknown_addresses(alice):
    unknown = APIClient().post("/api/access/reset-password-control/", {"email": "ghost@example.com"}, format="json")
    known = APIClient().post("/api/access/reset-password-control/", {"email_adress": alice.email}, format="json")
    assert (unknown.status_code, unknown.json()) == (known.status_code, known.json()) == (200, RESET_SENT)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [alice.email]
    uid, token = uid_and_token(last_mail())
    body = {"uid": uid, "token": token, "new_password": STRONG, "new_password_confirm": STRONG}
    confirm = APIClient().post("/api/access/reset-password-control/confirm/", body, format="json")
    assert (confirm.status_code, confirm.json()) == (200, {"detail": "Password has been reset."})
    alice.refresh_from_db()
    assert alice.check_password(STRONG)
    replay = APIClient().post("/api/access/reset-password-control/confirm/", body, format="json")
    assert (replay.status_code, replay.json()) == (
        400,
        {"error": "Validation error", "details": {"token": ["Invalid or expired token."]}},
    )


def test_reset_confirm_mismatch_changes_nothing(alice):
    APIClient().post("/api/access/reset-password-control/", {"email_address": alice.email}, format="json")
    uid, token = uid_and_token(last_mail())
    body = {"uid": uid, "token": token, "new_password": STRONG, "new_password_confirm": "Other-Password-77"}
    response = APIClient().post("/api/access/reset-password-control/confirm/", body, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"error": "Validation error", "details": {"non_field_errors": ["Passwords do not match."]}},
    )
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_recovery_is_throttled(alice):
    client = APIClient()
    codes = [
        client.post("/api/access/reset-password-control/", {"email": alice.email}, format="json").status_code
        for _ in range(6)
    ]
    assert codes == [200] * 5 + [429]
    assert len(mail.outbox) == 3  # and the address itself gets at most three mails an hour


def test_email_confirmation_control(alice, client_for):
    response = client_for(alice).post("/api/access/email-confirmation-control/", {}, format="json")
    assert (response.status_code, response.json()) == (
        200,
        {"detail": "If this address belongs to an unconfirmed account, a confirmation link has been sent to it."},
    )
    uid, token = uid_and_token(last_mail())
    assert last_mail().to == [alice.email]
    confirm = APIClient().post(
        "/api/access/email-confirmation-control/confirm/", {"uid": uid, "token": token}, format="json"
    )
    assert (confirm.status_code, confirm.json()) == (200, {"detail": "E-mail address confirmed."})
    alice.refresh_from_db()
    assert alice.email_confirmed
    replay = APIClient().post(
        "/api/access/email-confirmation-control/confirm/", {"uid": uid, "token": token}, format="json"
    )
    assert replay.status_code == 400
    anonymous = APIClient().post("/api/access/email-confirmation-control/", {}, format="json")
    assert (anonymous.status_code, anonymous.json()) == (
        400,
        {"error": "Validation error", "details": {"email": ["This field is required."]}},
    )
    assert actions() == ["EMAIL_CONFIRM_REQUEST", "EMAIL_CONFIRM"]


# --- Pre-registration -------------------------------------------------------------------------


def test_pre_register(staff, alice, client_for):
    response = APIClient().post("/api/access/pre-register/", {"email": "Early@Bird.example"}, format="json")
    entry = PreRegistration.objects.get()
    body = {"id": str(entry.pk), "email": "early@bird.example", "created_at": iso(entry.created_at)}
    assert (response.status_code, response.json()) == (201, body)
    again = APIClient().post("/api/access/pre-register/", {"email_adress": "early@bird.example"}, format="json")
    assert (again.status_code, again.json()) == (
        400,
        {"error": "Validation error", "details": {"email": ["This e-mail address is already pre-registered."]}},
    )
    bad = APIClient().post("/api/access/pre-register/", {"email": "nope"}, format="json")
    assert (bad.status_code, bad.json()["details"]) == (400, {"email": ["Enter a valid email address."]})
    assert client_for(alice).get("/api/access/pre-register/").status_code == 403
    assert APIClient().get("/api/access/pre-register/").status_code == 401
    assert client_for(staff).get("/api/access/pre-register/").json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [body],
    }
    assert actions() == ["CREATE"]


def test_one_address_gets_at_most_three_recovery_mails_an_hour(alice):
    for i in range(5):
        client = APIClient(REMOTE_ADDR=f"198.51.100.{i + 1}")
        response = client.post("/api/access/reset-password-control/", {"email": alice.email}, format="json")
        assert (response.status_code, response.json()) == (200, RESET_SENT)
    assert len(mail.outbox) == 3
