"""Billing test helpers: a local stand-in for the Stripe HTTP API and locally signed webhook payloads.

No call leaves the machine: the SDK's API base points at ``StripeStandIn``, a threading HTTP server on
127.0.0.1 that answers customer and Checkout-session creation like Stripe does and records each request.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest

SECRET_KEY = "sk_test_custos_standin"
WEBHOOK_SECRET = "whsec_test_custos_signing"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class StripeStandIn:
    base_url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    # path -> (status, body) answered instead of the normal response (e.g. to simulate a refusal)
    failures: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def answer(self, method: str, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if path in self.failures:
            return self.failures[path]
        number = next(self._ids)
        created = 1_790_000_000 + number
        if method == "POST" and path == "/v1/customers":
            return 200, {
                "id": f"cus_test_{number}",
                "object": "customer",
                "created": created,
                "email": form.get("email"),
                "name": form.get("name"),
                "livemode": False,
                "metadata": _nested(form, "metadata"),
            }
        if method == "POST" and path == "/v1/checkout/sessions":
            session_id = f"cs_test_{number}"
            return 200, {
                "id": session_id,
                "object": "checkout.session",
                "created": created,
                "expires_at": created + 86400,
                "mode": form.get("mode"),
                "customer": form.get("customer"),
                "client_reference_id": form.get("client_reference_id"),
                "success_url": form.get("success_url"),
                "cancel_url": form.get("cancel_url"),
                "status": "open",
                "payment_status": "unpaid",
                "livemode": False,
                "metadata": _nested(form, "metadata"),
                "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            }
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({path})."}}


def _nested(form: dict[str, str], prefix: str) -> dict[str, str]:
    start = f"{prefix}["
    return {key[len(start) : -1]: value for key, value in form.items() if key.startswith(start) and key.count("[") == 1}


@pytest.fixture
def stripe_standin(settings):
    """A running stand-in; settings point the SDK at it and hold test keys."""
    standin = StripeStandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            form = dict(parse_qsl(body, keep_blank_values=True))
            path = self.path.split("?", 1)[0]
            standin.requests.append(Recorded("POST", path, dict(self.headers.items()), form))
            status, payload = standin.answer("POST", path, form)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_standin_{len(standin.requests)}")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    standin.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = standin.base_url
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def signature_header(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """``Stripe-Signature`` as Stripe computes it: HMAC-SHA256 of ``"{t}.{payload}"`` with the signing secret."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_body(event_id: str, event_type: str, obj: dict[str, Any], *, created: int = 1_790_000_500) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2025-10-29.clover",
            "created": created,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
            "data": {"object": obj},
        }
    ).encode()


@pytest.fixture
def deliver(api_client):
    """``deliver(body, **signing)``: POST a (signed) webhook delivery; returns the response."""

    def post(body: bytes, *, header: str | None = "sign", path: str = "/api/access/billing/webhook/", **signing):
        extra = {}
        if header == "sign":
            header = signature_header(body, **signing)
        if header is not None:
            extra["HTTP_STRIPE_SIGNATURE"] = header
        return api_client.generic("POST", path, body, content_type="application/json", **extra)

    return post
