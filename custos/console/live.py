"""Live updates of the console: a short-lived access token for the Socket.IO server.

The console is logged in by a Django session cookie; the Socket.IO server (``custos.events``) reads a
JWT. The page asks ``/console/live/token/`` for one: an access token bound to the console's own
``AuthSession`` (``sid``) and the user's token version (``ver``), so "log out everywhere", a password
change or the session's end make it worthless like any API token. It lives ``TOKEN_MINUTES`` minutes
(the client asks again on each reconnection) and is never written anywhere (no refresh token, no row).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rest_framework_simplejwt.tokens import AccessToken

from custos.identity.tokens import SESSION_CLAIM, VERSION_CLAIM

TOKEN_MINUTES = 5


def socket_token(*, user: Any, auth_session_id: str) -> tuple[str, int]:
    """An access token for ``user`` in the console session ``auth_session_id``, and its lifetime (s)."""
    lifetime = timedelta(minutes=TOKEN_MINUTES)
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=lifetime)
    token[SESSION_CLAIM] = str(auth_session_id)
    token[VERSION_CLAIM] = user.token_version
    return str(token), int(lifetime.total_seconds())
