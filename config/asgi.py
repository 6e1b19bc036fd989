"""The ASGI application: HTTP, WebSockets (Channels) and Socket.IO on one port.

HTTP requests go to Django's WSGI handler through a2wsgi's thread pool rather than Django's ASGI
handler: our views are synchronous, and the ASGI handler runs every synchronous view and middleware
through ``sync_to_async`` on a single thread. ``bench/http.py`` measured it 3-6x slower on a bare view
and 1.1-1.5x slower on an authenticated list, under Granian and uvicorn alike.
WebSocket connections go to Channels consumers.
"""

from __future__ import annotations

import importlib
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from a2wsgi import WSGIMiddleware
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings

from config.wsgi import application as wsgi_application

DIALECTS = ("twin", "access", "pipeline", "enginel", "sqal")


def websocket_urlpatterns() -> list:
    patterns: list = []
    for dialect in DIALECTS:
        module = importlib.import_module(f"custos.dialects.{dialect}.urls")
        patterns.extend(getattr(module, "websocket_urlpatterns", []))
    return patterns


def serves_websocket(path: str) -> bool:
    """Whether a WebSocket connection to ``path`` reaches a consumer (used by the spec-coverage test)."""
    relative = path.lstrip("/")
    return any(pattern.pattern.match(relative) for pattern in websocket_urlpatterns())


_router = ProtocolTypeRouter(
    {
        "http": WSGIMiddleware(wsgi_application, workers=settings.HTTP_THREADS),
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns())),
    }
)


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
        return
    if scope["type"] == "http":
        # a2wsgi hands ``receive()`` to ``asyncio.run_coroutine_threadsafe``, which needs a coroutine;
        # Granian's ``receive`` returns a future, so request bodies are read through this wrapper.
        async def receive_coroutine():
            return await receive()

        await _router(scope, receive_coroutine, send)
        return
    await _router(scope, receive, send)
