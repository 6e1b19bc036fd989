"""HTTP requests from the ASGI server to Django's WSGI handler, with one thread hop per ordinary request.

The server runs an event loop (WebSockets and Socket.IO share its port); Django's views are synchronous
and run on a small thread pool. a2wsgi, used before, hands every message between the two across
threads: each body read, the response start, each body chunk and the end each wait for the other side
(four or more round trips, each one a hand-over of the GIL, which Python grants every 5 ms when
a view is busy on another thread). Here an ordinary request crosses once:

* a body of at most ``BUFFERED_BODY_BYTES`` (declared by ``Content-Length``; most API calls) is read on
  the event loop before the view runs; a larger or chunked body is streamed to the view on demand (a2wsgi's
  ``Body``), so memory stays bounded by what the view reads (uploads are large);
* a response whose content is in memory (every ``HttpResponse``) comes back from the thread whole and is
  sent by the event loop; a streaming response (exports, downloads) is sent chunk by chunk from the thread,
  each chunk waiting for the previous one to be handed to the server (back-pressure: memory stays bounded).

The WSGI iterable is closed on the thread that ran the view (Django's ``request_finished`` closes that
thread's database connections). The view runs in the thread's own context (not a copy of the event
loop's, which a2wsgi made per request): what Django keeps in context variables for a thread, such as
the cache connections, lasts from one request to the next.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from a2wsgi.wsgi import Body, build_environ

logger = logging.getLogger("custos.ops")

BUFFERED_BODY_BYTES = 256 * 1024

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_ERROR_BODY = b'{"error":"Internal server error","code":"INTERNAL_ERROR"}'


def _server_error_body(path: str) -> bytes:
    """Django's own 500 body for ``path`` (the path's dialect), else a plain one: this answer must not fail."""
    try:
        from custos.api.errors import server_error_body

        return server_error_body(path)
    except Exception:
        logger.exception("could not render the 500 body of %s", path)
        return _ERROR_BODY


def _declared_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _response_start(status: str, headers: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "http.response.start",
        "status": int(status.split(" ", 1)[0]),
        "headers": [(name.lower().encode("latin1"), value.encode("latin1")) for name, value in headers],
    }


class WSGIBridge:
    """An ASGI application serving HTTP through the WSGI application ``app`` on ``threads`` threads."""

    def __init__(self, app: Callable[..., Iterable[bytes]], threads: int) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        loop = asyncio.get_running_loop()
        length = _declared_length(scope)
        body: Any
        if length is not None and 0 <= length <= BUFFERED_BODY_BYTES:
            body = io.BytesIO(await _read_body(receive, length))
        else:
            # Read on demand from the view's thread; a2wsgi's Body awaits ``receive()`` on the loop.
            async def receive_coroutine() -> dict[str, Any]:
                return await receive()

            body = Body(loop, receive_coroutine)  # type: ignore[arg-type]
        environ: dict[str, Any] = dict(build_environ(scope, body))  # type: ignore[arg-type]
        # The view runs in its thread's own context, as under any threaded WSGI server: not in a copy of the
        # event loop's. Django keeps per-thread state in context variables (the cache connections of
        # ``caches``): in a fresh copy per request, every request would open the cache anew.
        run = functools.partial(self._run, environ, loop, send)
        try:
            outcome = await loop.run_in_executor(self.executor, run)
        except Exception:
            logger.exception("the WSGI application failed outside Django's own error handling")
            start = _response_start("500 Internal Server Error", [("Content-Type", "application/json")])
            outcome = (start, _server_error_body(scope.get("path", "")))
        if outcome is None:  # streamed from the thread
            return
        start, content = outcome
        await send(start)
        await send({"type": "http.response.body", "body": content, "more_body": False})

    def _run(self, environ: dict[str, Any], loop: asyncio.AbstractEventLoop, send: Send) -> Any:
        """On a pool thread: the view, then its response whole (``(start, body)``) or streamed (``None``)."""
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
            if exc_info is not None and started and started[0] == "sent":
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, headers]
            return _no_write

        result = self.app(environ, start_response)
        try:
            if not getattr(result, "streaming", False):
                content = b"".join(result)
                return _response_start(*started), content

            def deliver(message: dict[str, Any]) -> None:
                asyncio.run_coroutine_threadsafe(_call(send, message), loop).result()

            deliver(_response_start(*started))
            started[0] = "sent"
            try:
                for chunk in result:
                    if chunk:
                        deliver({"type": "http.response.body", "body": chunk, "more_body": True})
                deliver({"type": "http.response.body", "body": b"", "more_body": False})
            except Exception:  # the status is sent: all that is left is to end the connection unfinished
                logger.exception("a streaming response failed after it started")
            return None
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()


def _no_write(data: bytes) -> None:  # the WSGI write() callable, which Django never uses
    raise RuntimeError("write() is not supported: return an iterable")


async def _call(send: Send, message: dict[str, Any]) -> None:
    await send(message)


async def _read_body(receive: Receive, length: int) -> bytes:
    """The whole body (at most ``length`` bytes were declared; more is not read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > length:  # a body longer than declared: keep what was declared (as a WSGI server would)
            chunks.append(chunk[: len(chunk) - (size - length)])
            break
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
