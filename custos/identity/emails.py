"""The account e-mails, sent through Django's mail backend (file/console embedded, SMTP by env).

Each carries a single-use, expiring token (``PASSWORD_RESET_TIMEOUT``) and the ``uid`` it belongs to,
both in the text and in a link to ``CUSTOS_FRONTEND_URL``.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail

from custos.identity.tokens import email_confirmation_tokens, encode_uid, password_reset_tokens

logger = logging.getLogger("custos.identity")


def _link(path: str, uid: str, token: str) -> str:
    base = getattr(settings, "CUSTOS_FRONTEND_URL", "").rstrip("/")
    return f"{base}/{path}?{urlencode({'uid': uid, 'token': token})}"


def _send(subject: str, body: str, to: str) -> None:
    try:
        send_mail(subject, body, None, [to], fail_silently=False)
    except Exception:  # a mail outage must not reveal, or break, the account flow
        logger.exception("could not send the %r e-mail", subject)


def send_password_reset(*, user: Any) -> None:
    uid, token = encode_uid(user), password_reset_tokens.make_token(user)
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    body = (
        f"Hello {user.username},\n\nSomeone asked to reset the password of your Custos account.\n"
        f"Open this link to choose a new one (valid {minutes} minutes, once):\n"
        f"{_link('reset-password', uid, token)}\n\n"
        f"uid: {uid}\ntoken: {token}\n\nIf it was not you, ignore this message: nothing changes.\n"
    )
    _send("Reset your Custos password", body, user.email)


def send_email_confirmation(*, user: Any) -> None:
    uid, token = encode_uid(user), email_confirmation_tokens.make_token(user)
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    body = (
        f"Hello {user.username},\n\nPlease confirm the e-mail address of your Custos account "
        f"(link valid {minutes} minutes, once):\n{_link('confirm-email', uid, token)}\n\n"
        f"uid: {uid}\ntoken: {token}\n"
    )
    _send("Confirm your e-mail address", body, user.email)
