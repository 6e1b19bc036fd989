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
