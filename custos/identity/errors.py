"""Domain errors of identity (rendered by each dialect's envelope like every ``DomainError``)."""

from __future__ import annotations

from custos.kernel.errors import DomainError


class AuthenticationFailed(DomainError):
    status_code = 401
    code = "AUTHENTICATION_FAILED"
    default_message = "No active account found with the given credentials"


class TokenInvalid(DomainError):
    status_code = 401
    code = "TOKEN_INVALID"
    default_message = "Token is invalid or expired"


class AccountLocked(DomainError):
    status_code = 429
    code = "ACCOUNT_LOCKED"
    default_message = "Too many failed login attempts. Try again later."


class CsrfFailed(DomainError):
    """The double-submit check of a cookie-authenticated write failed: 422, as the twin document's
    flask-jwt-extended server answered."""

    status_code = 422
    code = "CSRF_FAILED"
    default_message = "CSRF token missing or incorrect."
