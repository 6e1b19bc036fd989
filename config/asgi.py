"""The ASGI application: HTTP, WebSockets (Channels) and Socket.IO on one port.

HTTP requests go to Django's WSGI handler on a thread pool (``custos.ops.http_bridge``: one thread hop per
ordinary request) rather than Django's ASGI handler: our views are synchronous, and the ASGI handler runs
every synchronous view and middleware through ``sync_to_async`` on a single thread. ``bench/http.py``
measured it 3-6x slower on a bare view and 1.1-1.5x slower on an authenticated list, under Granian and
uvicorn alike.
WebSocket connections go to Channels consumers; ``/socket.io/`` (HTTP long-polling and WebSocket) goes to
the twin API's python-socketio server. In embedded mode the lifespan starts the event relay poller
(``custos.events.relay``) that brings events published by the worker process to this process's clients.
"""

from __future__ import annotations

import importlib
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from asgiref.sync import sync_to_async
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from django.db import connections
from django.urls import path as route

from config.wsgi import application as wsgi_application
from custos.events.consumers import EventsConsumer
from custos.events.relay import poller
from custos.events.socketio_server import asgi_app as socketio_app
from custos.ops.http_bridge import WSGIBridge

DIALECTS = ("twin", "access", "pipeline", "enginel", "sqal")
SOCKETIO_PREFIX = "/socket.io/"
# Platform WebSocket routes (not in a spec): the event stream for plain WebSocket clients.
PLATFORM_WEBSOCKETS = [route("ws/events/", EventsConsumer.as_asgi())]


def websocket_urlpatterns() -> list:
    patterns: list = []
    for dialect in DIALECTS:
        module = importlib.import_module(f"custos.dialects.{dialect}.urls")
        patterns.extend(getattr(module, "websocket_urlpatterns", []))
    return patterns + PLATFORM_WEBSOCKETS


def serves_websocket(path: str) -> bool:
    """Whether a WebSocket connection to ``path`` reaches a consumer (used by the spec-coverage test)."""
    if path.rstrip("/") + "/" == SOCKETIO_PREFIX:
        return True
    relative = path.lstrip("/")
    return any(pattern.pattern.match(relative) for pattern in websocket_urlpatterns())


# Stations (ESP32) are not browsers: they send no Origin and authenticate with a device token in the
# query string (no cookie, so no cross-site risk). Their socket skips the Origin check; every other
# WebSocket keeps it.
DEVICE_WEBSOCKETS = ("/ws/sensors/", "/ws/sensors")
_websocket_open = URLRouter(websocket_urlpatterns())
_websocket_checked = AllowedHostsOriginValidator(_websocket_open)


async def _websocket(scope, receive, send):
    if scope.get("path") in DEVICE_WEBSOCKETS:
        return await _websocket_open(scope, receive, send)
    return await _websocket_checked(scope, receive, send)


_router = ProtocolTypeRouter(
    {
        "http": WSGIBridge(wsgi_application, threads=settings.HTTP_THREADS),
        "websocket": _websocket,
    }
)


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await poller.ensure_started()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await poller.stop()
                await sync_to_async(connections.close_all)()
                await send({"type": "lifespan.shutdown.complete"})
                return
        return
    if scope["type"] in ("http", "websocket") and scope.get("path", "").startswith(SOCKETIO_PREFIX):
        await socketio_app(scope, receive, send)
        return
    await _router(scope, receive, send)
