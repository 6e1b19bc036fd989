"""The Socket.IO server object, shared by the twin Socket.IO handlers and the event relay.

It lives in its own module so that ``custos.events.socketio_server`` (the handlers, which start the
relay poller) and ``custos.events.relay`` (which emits to this server's rooms) both import it without
importing each other. In scaled mode an ``AsyncRedisManager`` shares rooms between processes.
"""

from __future__ import annotations

from typing import Any

import socketio
from django.conf import settings


def _manager() -> Any:
    if settings.REDIS_URL:
        return socketio.AsyncRedisManager(settings.REDIS_URL)
    return None


sio = socketio.AsyncServer(
    async_mode="asgi",
    client_manager=_manager(),
    cors_allowed_origins=list(settings.CORS_ALLOWED_ORIGINS) or None,
    always_connect=True,  # accept first, so a refused client still receives ``auth_failed``
    logger=False,
    engineio_logger=False,
)
