"""JSON Web Tokens: issuing pairs bound to a session, decoding refresh tokens, one-time e-mail tokens.

Every pair carries ``sid`` (its ``AuthSession``), ``ver`` (the user's ``token_version`` when issued)
and ``csrf`` (the value the twin cookie clients echo in ``X-CSRF-TOKEN``). SimpleJWT signs with HS256
only and checks ``iss``/``aud``/``exp`` (``SIMPLE_JWT`` in settings); the access token copies the
refresh token's custom claims.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.tokens import RefreshToken

from custos.identity.errors import TokenInvalid

SESSION_CLAIM = "sid"
VERSION_CLAIM = "ver"
CSRF_CLAIM = "csrf"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    session_id: str
    csrf: str
    expires_in: int
    refresh_expires_in: int


def access_lifetime_seconds() -> int:
    return int(jwt_settings.ACCESS_TOKEN_LIFETIME.total_seconds())


def refresh_lifetime_seconds() -> int:
    return int(jwt_settings.REFRESH_TOKEN_LIFETIME.total_seconds())


def pair_for(refresh: RefreshToken) -> TokenPair:
    return TokenPair(
        access=str(refresh.access_token),
        refresh=str(refresh),
        session_id=str(refresh.get(SESSION_CLAIM, "")),
        csrf=str(refresh.get(CSRF_CLAIM, "")),
        expires_in=access_lifetime_seconds(),
        refresh_expires_in=refresh_lifetime_seconds(),
    )


def new_refresh_token(*, user: Any, session_id: str) -> RefreshToken:
    refresh = RefreshToken.for_user(user)
    refresh[SESSION_CLAIM] = session_id
    refresh[VERSION_CLAIM] = user.token_version
    refresh[CSRF_CLAIM] = secrets.token_urlsafe(24)
    return refresh


def decode(raw: str) -> dict[str, Any]:
    """The verified claims of a token (signature, algorithm, issuer, audience, expiry), else ``TokenInvalid``."""
    try:
        # simplejwt annotates the encoded JWT string as its ``Token`` class.
        return token_backend.decode(raw, verify=True)  # type: ignore[arg-type]
    except (TokenBackendError, TypeError, ValueError):
        raise TokenInvalid() from None


# --- One-time e-mail tokens -------------------------------------------------------------------


class EmailConfirmationTokenGenerator(PasswordResetTokenGenerator):
    """Like the password-reset generator (expires after ``PASSWORD_RESET_TIMEOUT``), and single use:
    the hash covers the confirmation state, so a confirmed address invalidates its token."""

    key_salt = "custos.identity.tokens.EmailConfirmationTokenGenerator"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return f"{user.pk}{user.email}{user.email_confirmed}{timestamp}"


password_reset_tokens = PasswordResetTokenGenerator()
email_confirmation_tokens = EmailConfirmationTokenGenerator()


def encode_uid(user: Any) -> str:
    return urlsafe_base64_encode(force_bytes(str(user.pk)))


def decode_uid(uid: str) -> str | None:
    try:
        return force_str(urlsafe_base64_decode(uid))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None


def hash_api_key(raw: str) -> str:
    """API keys are 256-bit random strings, so one SHA-256 round is enough to store them safely."""
    return hashlib.sha256(raw.encode()).hexdigest()
