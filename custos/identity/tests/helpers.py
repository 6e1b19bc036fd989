"""Small builders for the identity tests."""

from __future__ import annotations

import base64
import io
import json
import re
from datetime import timedelta
from typing import Any

import jwt
from django.conf import settings
from django.core import mail
from django.utils import timezone
from PIL import Image

from custos.audit.models import AuditLog

STRONG = "Vastly-Different-Secret-42"


def actions() -> list[str]:
    return list(AuditLog.objects.order_by("sequence").values_list("action", flat=True))


def sign(claims: dict[str, Any], *, key: str | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key or str(settings.SIMPLE_JWT["SIGNING_KEY"]), algorithm=algorithm)


def access_claims(user: Any, **overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    claims = {
        "token_type": "access",
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "iat": int(now.timestamp()),
        "jti": "a" * 32,
        "user_id": str(user.pk),
        "iss": settings.SIMPLE_JWT["ISSUER"],
        "aud": settings.SIMPLE_JWT["AUDIENCE"],
    }
    claims.update(overrides)
    return claims


def unsigned(claims: dict[str, Any]) -> str:
    """A token with ``alg: none`` and no signature."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["user_id"] = "00000000-0000-0000-0000-000000000000"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


def uid_and_token(message: Any) -> tuple[str, str]:
    body = message.body
    uid = re.search(r"^uid: (\S+)$", body, re.M)
    token = re.search(r"^token: (\S+)$", body, re.M)
    assert uid is not None and token is not None, "the e-mail carries no uid/token lines"
    return uid.group(1), token.group(1)


def last_mail() -> Any:
    assert mail.outbox, "no e-mail was sent"
    return mail.outbox[-1]


def union_error(title: str, message: str, code: str, **extra: Any) -> dict[str, Any]:
    """The error body of the shared ``/api/auth/login|refresh|logout`` routes: twin's ``{error, message}``
    and enginel's ``{error, detail, code}`` in one (specs/notes.md)."""
    return {"error": title, "message": message, "detail": message, "code": code, **extra}
