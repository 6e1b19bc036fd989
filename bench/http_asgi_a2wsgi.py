"""Candidate ASGI application for ``bench/http.py``: the product's ASGI application as it was before
``custos.ops.http_bridge``, with HTTP served by a2wsgi's ``WSGIMiddleware`` (several thread round trips
per request). WebSockets and Socket.IO are the product's own, so only the HTTP bridge differs."""

from __future__ import annotations

from a2wsgi import WSGIMiddleware
from django.conf import settings

import config.asgi as product
from config.wsgi import application as wsgi_application

# The handler's HttpResponse is the iterable of bytes WSGI wants; the stubs do not declare it one.
_http = WSGIMiddleware(wsgi_application, workers=settings.HTTP_THREADS)  # type: ignore[arg-type]


async def application(scope, receive, send) -> None:
    if scope["type"] == "http" and not scope.get("path", "").startswith(product.SOCKETIO_PREFIX):
        # a2wsgi hands ``receive()`` to ``asyncio.run_coroutine_threadsafe``, which needs a coroutine;
        # Granian's ``receive`` returns a future.
        async def receive_coroutine():
            return await receive()

        await _http(scope, receive_coroutine, send)
        return
    await product.application(scope, receive, send)
