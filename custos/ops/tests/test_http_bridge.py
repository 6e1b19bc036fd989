"""The ASGI -> WSGI bridge: bodies in, responses out, one thread hop, bounded memory both ways."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from custos.ops.http_bridge import BUFFERED_BODY_BYTES, WSGIBridge


def _scope(method: str = "GET", path: str = "/x/", headers: list[tuple[bytes, bytes]] | None = None) -> dict:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "query_string": b"a=1",
        "http_version": "1.1",
        "headers": headers or [],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }


class Peer:
    """The server side: body messages to hand out, and everything sent back."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)
        self.received = 0
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        self.received += 1
        chunk = self.chunks.pop(0) if self.chunks else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


def _serve(app: Any, scope: dict, peer: Peer) -> None:
    asyncio.run(WSGIBridge(app, threads=2)(scope, peer.receive, peer.send))


class Echo:
    """Returns what it read, with the environ facts a view relies on; records where close() ran."""

    def __init__(self) -> None:
        self.closed_on: str | None = None
        self.app_thread: str | None = None

    def __call__(self, environ: dict, start_response: Any) -> Any:
        self.app_thread = threading.current_thread().name
        body = environ["wsgi.input"].read()
        start_response("201 Created", [("Content-Type", "text/plain"), ("X-Path", environ["PATH_INFO"])])
        echo = self

        class Response(list):
            streaming = False

            def close(self) -> None:
                echo.closed_on = threading.current_thread().name

        facts = f"{environ['REQUEST_METHOD']} {environ['QUERY_STRING']} {environ.get('CONTENT_TYPE', '')} ".encode()
        return Response([facts, body])


def test_a_small_body_is_read_once_and_the_response_sent_whole():
    app = Echo()
    body = b'{"name": "line"}'
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    peer = Peer([body[:5], body[5:]])
    _serve(app, _scope("POST", headers=headers), peer)
    assert peer.sent == [
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [(b"content-type", b"text/plain"), (b"x-path", b"/x/")],
        },
        {"type": "http.response.body", "body": b"POST a=1 application/json " + body, "more_body": False},
    ]
    assert peer.received == 2
    assert app.app_thread is not None and app.app_thread.startswith("http")
    assert app.closed_on == app.app_thread  # Django closes the thread's database connections there


def test_a_large_body_is_streamed_to_the_view_and_not_read_unless_asked():
    size = BUFFERED_BODY_BYTES + 1
    headers = [(b"content-length", str(size).encode())]

    def refuses(environ: dict, start_response: Any) -> list[bytes]:
        start_response("413 Payload Too Large", [])
        return [b"too large"]

    peer = Peer([b"x" * 1024] * 300)
    _serve(refuses, _scope("POST", headers=headers), peer)
    assert peer.received == 0  # nothing was buffered on the server's side
    assert peer.sent[0]["status"] == 413

    app = Echo()
    chunks = [bytes([65 + i % 26]) * 1024 for i in range(size // 1024)] + [b"z" * (size % 1024)]
    peer = Peer(chunks)
    _serve(app, _scope("PUT", headers=headers), peer)
    assert peer.sent[1]["body"] == b"PUT a=1  " + b"".join(chunks)


def test_a_body_longer_than_declared_is_cut_at_the_declared_length():
    peer = Peer([b"0123456789"])
    _serve(Echo(), _scope("POST", headers=[(b"content-length", b"4")]), peer)
    assert peer.sent[1]["body"] == b"POST a=1  0123"


def test_a_negative_length_is_no_length_the_body_is_read_as_it_comes():
    peer = Peer([b"abc", b"def"])
    _serve(Echo(), _scope("POST", headers=[(b"content-length", b"-5")]), peer)
    assert peer.sent[1]["body"] == b"POST a=1  abcdef"


def test_a_streaming_response_goes_out_chunk_by_chunk_and_is_closed():
    produced: list[int] = []
    closed: list[str] = []

    class Stream:
        streaming = True

        def __iter__(self):
            for index in range(3):
                produced.append(index)
                yield f"row {index}\n".encode()

        def close(self) -> None:
            closed.append(threading.current_thread().name)

    def app(environ: dict, start_response: Any) -> Stream:
        start_response("200 OK", [("Content-Type", "text/csv")])
        return Stream()

    peer = Peer([])
    _serve(app, _scope(), peer)
    assert peer.sent == [
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/csv")]},
        {"type": "http.response.body", "body": b"row 0\n", "more_body": True},
        {"type": "http.response.body", "body": b"row 1\n", "more_body": True},
        {"type": "http.response.body", "body": b"row 2\n", "more_body": True},
        {"type": "http.response.body", "body": b"", "more_body": False},
    ]
    assert produced == [0, 1, 2]
    assert len(closed) == 1 and closed[0].startswith("http")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/pipelines/", b'{"detail": "A server error occurred."}'),
        ("/api/devices", b'{"error": "Internal server error", "message": "A server error occurred."}'),
        ("/api/access/users/", b'{"error": "A server error occurred.", "details": {}}'),
        (
            "/api/designs/",
            b'{"error": "Internal server error", "detail": "A server error occurred.", "code": "INTERNAL_ERROR", '
            b'"field_errors": {}}',
        ),
    ],
)
def test_an_application_that_raises_gets_its_dialects_500_not_a_hung_connection(path, body):
    from django.test import RequestFactory

    from custos.api.errors import handler500

    def broken(environ: dict, start_response: Any) -> list[bytes]:
        raise RuntimeError("boom")

    peer = Peer([])
    _serve(broken, _scope(path=path), peer)
    assert peer.sent[0]["status"] == 500
    assert peer.sent[1] == {"type": "http.response.body", "body": body, "more_body": False}
    assert body == handler500(RequestFactory().get(path)).content  # what Django's own handler answers


def test_the_500_body_falls_back_to_a_plain_one_when_it_cannot_be_rendered(monkeypatch):
    from custos.api import errors

    def broken(environ: dict, start_response: Any) -> list[bytes]:
        raise RuntimeError("boom")

    def unrenderable(path: str) -> bytes:
        raise LookupError(path)

    monkeypatch.setattr(errors, "server_error_body", unrenderable)
    peer = Peer([])
    _serve(broken, _scope(), peer)
    assert (peer.sent[0]["status"], peer.sent[1]["body"]) == (
        500,
        b'{"error":"Internal server error","code":"INTERNAL_ERROR"}',
    )


def test_requests_on_a_thread_share_its_context_so_django_keeps_its_cache_connection():
    from django.core.cache import caches

    seen: list[int] = []

    def app(environ: dict, start_response: Any) -> list[bytes]:
        seen.append(id(caches["default"]))  # per thread, held in a context variable (asgiref Local)
        start_response("204 No Content", [])
        return []

    async def two_requests() -> None:
        bridge = WSGIBridge(app, threads=1)
        for _ in range(2):
            peer = Peer([])
            await bridge(_scope(), peer.receive, peer.send)
            assert peer.sent[0]["status"] == 204

    asyncio.run(two_requests())
    assert len(seen) == 2 and seen[0] == seen[1]  # a copied context per request would open it anew
