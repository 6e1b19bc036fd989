"""Request ids: every response carries ``X-Request-ID`` and every log line of the request names it."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID = re.compile(r"^[A-Za-z0-9._:\-]{8,128}$")


class RequestIdMiddleware:
    """Reuses a well-formed incoming ``X-Request-ID`` (from a load balancer), otherwise makes one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        # An ad-hoc attribute (read by the error recorder and the views), which HttpRequest does not declare.
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


# --- Request body bounds -----------------------------------------------------------------------

_DATA_TYPES = ("application/json", "application/x-www-form-urlencoded", "text/plain")


def _media_type(request: HttpRequest) -> str:
    return (request.META.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()


def body_limit(media_type: str) -> int:
    """The largest body of ``media_type`` any route accepts.

    JSON (``*/json``, ``*+json``), forms and text: ``CUSTOS_MAX_JSON_BODY_BYTES``. Anything else
    (multipart uploads, CSV, binary files): the upload limit of the settings record (``max_file_size_mb``)
    plus ``DATA_UPLOAD_MAX_MEMORY_SIZE`` for the other fields and the framing. Only bodies far beyond
    what could succeed are refused here; each module still checks the file's own size (and answers
    with its own message).
    """
    from django.conf import settings

    from custos.api.parsers import max_json_body_bytes

    if media_type in _DATA_TYPES or media_type.endswith(("/json", "+json")):
        return max_json_body_bytes()
    from custos.ops.services import upload_limit_bytes

    margin = int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)
    return max(upload_limit_bytes() + margin, max_json_body_bytes())


def _route_limit(request: HttpRequest) -> int | None:
    """The bound the matched view declares (``max_body_bytes``), if any."""
    from django.urls import Resolver404, resolve

    from custos.api.parsers import view_body_limit

    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    view = getattr(match.func, "cls", None) or getattr(match.func, "view_class", None)
    return view_body_limit(view)


class BodySizeLimitMiddleware:
    """413, in the route's dialect, for a body whose ``Content-Length`` passes its content type's bound.

    Runs before authentication and before any view, so an anonymous caller cannot make the server read
    (or buffer) a large body: the check reads the header only. Bodies without a length are bounded by
    the parsers (``custos.api.parsers.read_bounded``) and Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from custos.api.parsers import declared_length, max_json_body_bytes

        length = declared_length(request.META)
        if length is not None and length > max_json_body_bytes():
            limit = _route_limit(request) or body_limit(_media_type(request))
            if length > limit:
                return self._refuse(request, limit)
        return self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest, limit: int) -> HttpResponse:
        from custos.api.errors import error_response, normalise
        from custos.api.parsers import too_large

        error = normalise(too_large(limit))
        assert error is not None
        response = error_response(request, error)
        response["Connection"] = "close"  # the unread body must not be taken for the next request
        return response
