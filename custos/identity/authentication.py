"""The credentials every route accepts (``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]``).

* ``Authorization: Bearer <jwt>`` / ``Authorization: Token <jwt>``: access tokens (HS256 only,
  ``iss``/``aud``/``exp`` checked by SimpleJWT). On top, the token's session must be live and its
  version current, and the user must still exist and be active.
* ``Authorization: ApiKey <key>``: hashed keys with expiry, allowed addresses and scopes.
* ``access_token_cookie``: the twin cookie; unsafe methods must echo the CSRF cookie in
  ``X-CSRF-TOKEN`` (double submit), and it must match the token's own CSRF claim. An invalid cookie
  is ignored (as if absent), so a stale cookie never breaks a public route.
* The Django session (admin, browsable API), with Django's CSRF check.
"""

from __future__ import annotations

import functools
import secrets
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import aware_utcnow

from custos.identity import selectors
from custos.identity.errors import CsrfFailed
from custos.identity.services import api_key_touch
from custos.identity.tokens import CSRF_CLAIM, SESSION_CLAIM, VERSION_CLAIM
from custos.kernel.context import client_ip
from custos.kernel.errors import DomainError
from custos.kernel.errors import PermissionDenied as DomainPermissionDenied

ACCESS_COOKIE = "access_token_cookie"
REFRESH_COOKIE = "refresh_token_cookie"
CSRF_COOKIE = "csrf_access_token"
CSRF_HEADER = "HTTP_X_CSRF_TOKEN"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
VERIFIED_TOKENS = 4096  # access tokens whose verification one process remembers


class CustosJWTAuthentication(JWTAuthentication):
    """Bearer/Token access tokens whose session, version and user are all still valid.

    One query per request (``selectors.token_user``): the user row, with the liveness of the token's
    session as an ``EXISTS`` in the same statement. The checks and their messages are simplejwt's
    (missing claim, user not found, inactive user) followed by ours (token version, session).

    A token's signature and claims are verified once per process (``_verified``): the same bytes verify
    the same way, so a token seen again is only checked for expiry. Everything that can revoke it (the
    session, the version, the user) is read from the database on every request.
    """

    def get_validated_token(self, raw_token: bytes) -> Any:
        token = _verified(raw_token)  # raises simplejwt's InvalidToken
        if _expired(token):
            return super().get_validated_token(raw_token)  # raises simplejwt's own error
        return token

    def get_user(self, validated_token: Any) -> Any:
        try:
            user_id = validated_token[jwt_settings.USER_ID_CLAIM]
        except KeyError:
            raise InvalidToken(_("Token contained no recognizable user identification")) from None
        session_id = validated_token.get(SESSION_CLAIM)
        user = selectors.token_user(user_id=user_id, session_id=session_id)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if jwt_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if validated_token.get(VERSION_CLAIM, 0) != user.token_version:
            raise InvalidToken({"detail": "Token has been revoked.", "code": "token_not_valid"})
        if session_id and not getattr(user, selectors.SESSION_LIVE):
            raise InvalidToken({"detail": "Session has been revoked.", "code": "token_not_valid"})
        return user


@functools.lru_cache(maxsize=VERIFIED_TOKENS)
def _verified(raw_token: bytes) -> Any:
    """The validated access token of ``raw_token`` (simplejwt's checks). An invalid token raises, and
    lru_cache remembers only what returns."""
    return JWTAuthentication().get_validated_token(raw_token)


def _expired(token: Any) -> bool:
    try:
        token.check_exp(current_time=aware_utcnow())
    except TokenError:
        return True
    return False


@receiver(setting_changed)
def _forget_verified(*, setting: str, **kwargs: Any) -> None:
    if setting in ("SIMPLE_JWT", "SECRET_KEY"):
        _verified.cache_clear()


class CookieJWTAuthentication(CustosJWTAuthentication):
    """The twin's ``access_token_cookie`` with a double-submit CSRF check on unsafe methods."""

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        raw = request.COOKIES.get(ACCESS_COOKIE)
        if not raw:
            return None
        try:
            validated = self.get_validated_token(raw.encode())
            user = self.get_user(validated)
        except exceptions.AuthenticationFailed:
            # A stale or forged cookie counts as no credential: public routes keep working, and
            # protected ones answer 401 (not authenticated).
            return None
        if request.method not in SAFE_METHODS:
            enforce_csrf(request, str(validated.get(CSRF_CLAIM, "")))
        return user, validated


def enforce_csrf(request: Any, expected: str) -> None:
    """The ``X-CSRF-TOKEN`` header must equal the CSRF cookie and the token's claim."""
    header = request.META.get(CSRF_HEADER, "")
    cookie = request.COOKIES.get(CSRF_COOKIE, "")
    if not (
        header and secrets.compare_digest(header, cookie) and (not expected or secrets.compare_digest(header, expected))
    ):
        raise CsrfFailed()


class ApiKeyAuthentication(BaseAuthentication):
    keyword = b"apikey"

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid API key header.")
        try:
            key = selectors.api_key_authenticate(
                raw=parts[1].decode("latin-1"), ip=client_ip(request), method=request.method
            )
        except DomainPermissionDenied as exc:
            raise exceptions.PermissionDenied(exc.message) from None
        except DomainError as exc:
            raise exceptions.AuthenticationFailed(exc.message) from None
        api_key_touch(key=key)
        return key.user, key

    def authenticate_header(self, request: Any) -> str:
        return "ApiKey"


def user_from_access_token(raw: str) -> Any:
    """The user of an access token, with every check of the header authenticator (for WebSocket and
    Socket.IO connections, which carry the token in a query string, an ``auth`` payload or the cookie).
    Raises ``rest_framework_simplejwt.exceptions.InvalidToken`` / ``AuthenticationFailed``."""
    authenticator = CustosJWTAuthentication()
    return authenticator.get_user(authenticator.get_validated_token(raw.encode()))
