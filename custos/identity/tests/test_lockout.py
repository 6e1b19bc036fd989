"""Brute-force protection: per (identifier, address) lockout after the configured number of failures."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import PASSWORD
from custos.audit.models import AuditLog
from custos.identity.models import AuthSession, LoginFailure
from custos.identity.tests.helpers import actions, union_error
from custos.ops.models import SystemSettings

pytestmark = pytest.mark.django_db

LOCKED = union_error("Rate limit exceeded", "Too many failed login attempts. Try again later.", "ACCOUNT_LOCKED")


def without_retry(body, limit):
    """The body without ``retry_after``, which must lie in (0, limit] seconds."""
    body = dict(body)
    assert 0 < body.pop("retry_after") <= limit
    return body


WRONG = union_error(
    "Authentication failed", "No active account found with the given credentials", "AUTHENTICATION_FAILED"
)


def attempt(password, *, email="alice@northwind.example", address="203.0.113.5", path="/api/auth/login"):
    return APIClient(REMOTE_ADDR=address).post(path, {"email": email, "password": password}, format="json")


def test_five_failures_lock_the_account_for_that_address_even_for_the_right_password(alice):
    for _ in range(5):
        response = attempt("wrong-password")
        assert (response.status_code, response.json()) == (401, WRONG)
    response = attempt(PASSWORD)
    assert (response.status_code, without_retry(response.json(), 900)) == (429, LOCKED)
    assert not AuthSession.objects.exists()
    assert actions() == ["LOGIN_FAILED"] * 5 + ["LOCKOUT", "LOGIN_LOCKED"]
    lockout = AuditLog.objects.get(action="LOCKOUT")
    assert (lockout.success, lockout.resource_id, lockout.ip_address, lockout.changes["failures"]) == (
        False,
        str(alice.pk),
        "203.0.113.5",
        5,
    )
    # Another address is not locked out by this one's failures.
    assert attempt(PASSWORD, address="203.0.113.99").status_code == 200


def test_the_lock_lifts_after_the_cool_off(alice):
    for _ in range(5):
        attempt("wrong-password")
    LoginFailure.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert attempt(PASSWORD).status_code == 200
    assert not LoginFailure.objects.exists()  # a success clears the count


def test_the_limit_comes_from_the_system_settings(alice):
    record = SystemSettings.load()
    record.failed_login_lockout, record.lockout_minutes = 2, 1
    record.save()
    attempt("nope")
    attempt("nope")
    response = attempt(PASSWORD, path="/api/access/auth/login/")
    assert (response.status_code, without_retry(response.json(), 60)) == (
        429,
        {"error": "Too many failed login attempts. Try again later.", "details": {}},
    )


def test_unknown_accounts_are_counted_alike_so_nothing_is_revealed(db):
    for _ in range(5):
        assert attempt("whatever", email="nobody@example.com").json() == WRONG
    assert attempt("whatever", email="nobody@example.com").status_code == 429


def test_every_login_route_counts_and_refuses(alice):
    for path in (
        "/api/auth/jwt/create/",
        "/api/access/auth/login/",
        "/api/auth/login/",
        "/api/auth/login",
        "/api/auth/jwt/create/",
    ):
        assert attempt("wrong", path=path).status_code == 401
    response = attempt(PASSWORD, path="/api/auth/jwt/create/")
    assert (response.status_code, without_retry(response.json(), 900)) == (
        429,
        {"detail": "Too many failed login attempts. Try again later."},
    )


def test_the_login_route_is_throttled_per_address(alice):
    codes = [attempt("x", email=f"u{i}@example.com").status_code for i in range(21)]
    assert codes[:20] == [401] * 20
    assert codes[20] == 429
    # A forged X-Forwarded-For does not buy a fresh allowance.
    spoofed = APIClient(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.77").post(
        "/api/auth/login", {"email": "z@example.com", "password": "x"}, format="json"
    )
    assert spoofed.status_code == 429
    assert attempt("x", email="z@example.com", address="203.0.113.6").status_code == 401
