"""Candidate ASGI application for ``bench/http.py``: Django's own ASGI handler for HTTP.

It differs from ``config.asgi.application`` only in the HTTP branch: requests go to
``django.core.asgi.get_asgi_application()`` (synchronous views and middleware run through
``sync_to_async``) instead of the WSGI handler behind a2wsgi's thread pool. WebSockets use the
product's own Channels routes, so this is a real alternative for serving both on one port.
"""

from __future__ import annotations

from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application

from config.asgi import websocket_urlpatterns

_router = ProtocolTypeRouter(
    {
        "http": get_asgi_application(),
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns())),
    }
)


async def application(scope, receive, send) -> None:
    # Django's handler refuses lifespan scopes; acknowledge start-up and shutdown here, as config.asgi does.
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await _router(scope, receive, send)
