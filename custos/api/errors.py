"""One exception handler, five error envelopes.

Every failure is first normalised into an ``ApiError`` (status, title, message, code, field errors),
then rendered in the envelope of the dialect the view belongs to (``view.dialect``):

* pipeline: DRF's own shapes, ``{"detail": ...}`` and validation ``{"field": ["msg"]}``
* access:   ``{"error": ..., "details": {...}}``
* twin:     ``{"error": ..., "message": ...}``
* enginel:  ``{"error", "detail", "code", "field_errors"}``
* sqal:     ``{"detail": ...}``; validation is 422 ``{"detail": [{loc, msg, type}]}``
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.settings import api_settings

from custos.kernel.errors import DomainError

logger = logging.getLogger("custos.api")

_TITLES = {
    400: "Bad request",
    401: "Authentication failed",
    403: "Permission denied",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Validation error",
    429: "Rate limit exceeded",
    500: "Internal server error",
    503: "Service unavailable",
}


class PayloadTooLarge(DomainError):
    """413: a request body above its content type's bound, refused before it is read or parsed."""

    status_code = 413
    code = "PAYLOAD_TOO_LARGE"
    default_message = "The request body is too large."


_DRF_CODES = {
    drf.NotAuthenticated: "AUTHENTICATION_FAILED",
    drf.AuthenticationFailed: "AUTHENTICATION_FAILED",
    drf.PermissionDenied: "PERMISSION_DENIED",
    drf.NotFound: "RESOURCE_NOT_FOUND",
    drf.MethodNotAllowed: "METHOD_NOT_ALLOWED",
    drf.NotAcceptable: "NOT_ACCEPTABLE",
    drf.UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
    drf.ParseError: "PARSE_ERROR",
    drf.Throttled: "RATE_LIMIT_EXCEEDED",
    drf.ValidationError: "VALIDATION_ERROR",
}


@dataclass
class ApiError:
    status: int
    message: str
    code: str
    title: str = ""
    # field -> messages; "non_field_errors" for errors about the whole body.
    field_errors: dict[str, Any] = field(default_factory=dict)
    # (location path, message, type) triples, for the sqal 422 list.
    items: list[tuple[list[str | int], str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    is_validation: bool = False

    def __post_init__(self) -> None:
        if not self.title:
            self.title = _TITLES.get(self.status, "Error")


def _flatten(detail: Any, path: list[str | int]) -> list[tuple[list[str | int], str, str]]:
    if isinstance(detail, dict):
        return [item for key, value in detail.items() for item in _flatten(value, [*path, key])]
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [(path, str(item), getattr(item, "code", "invalid")) for item in detail]
        return [item for index, value in enumerate(detail) for item in _flatten(value, [*path, index])]
    return [(path, str(detail), getattr(detail, "code", "invalid"))]


def _plain(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(key): _plain(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_plain(item) for item in detail]
    return str(detail)


def _validation(detail: Any, *, code: str = "VALIDATION_ERROR", message: str = "Validation error") -> ApiError:
    non_field = api_settings.NON_FIELD_ERRORS_KEY
    fields = (
        _plain(detail)
        if isinstance(detail, dict)
        else {non_field: _plain(detail if isinstance(detail, list) else [detail])}
    )
    items = _flatten(detail if isinstance(detail, (dict, list)) else [detail], [])
    if items:
        message = "; ".join(
            msg if not path or path == [non_field] else f"{'.'.join(str(p) for p in path)}: {msg}"
            for path, msg, _kind in items
        )
    return ApiError(400, message, code, title="Validation error", field_errors=fields, items=items, is_validation=True)


def normalise(exc: Exception) -> ApiError | None:
    """The ``ApiError`` for an exception, or ``None`` when it is not an API error (a bug: 500)."""
    if isinstance(exc, DomainError):
        if exc.field_errors:
            error = _validation(exc.field_errors, code=exc.code)
            error.status = exc.status_code
            if exc.message != exc.default_message:
                error.message = exc.message
            return error
        return ApiError(exc.status_code, exc.message, exc.code, extra=dict(exc.extra))
    if isinstance(exc, DataError):
        # The database refused a value the request carried (a date whose UTC offset or year is out of
        # its range, a number past its column): the request's data is wrong, not the server.
        return ApiError(400, "A value is outside the range the database accepts.", "INVALID_VALUE", title="Bad request")
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = drf.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if not isinstance(exc, drf.APIException):
        return None
    code = next((value for cls, value in _DRF_CODES.items() if isinstance(exc, cls)), "ERROR")
    if isinstance(exc, drf.ValidationError):
        return _validation(exc.detail)
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    wait = getattr(exc, "wait", None)
    if wait is not None:
        headers["Retry-After"] = str(int(wait))
        extra["retry_after"] = int(wait)
    detail = exc.detail
    if isinstance(detail, dict):  # e.g. simplejwt's {"detail", "code", "messages"}
        message = str(detail.get("detail", next(iter(detail.values()), "")))
        error_code = str(detail.get("code", ""))
        if error_code == "token_not_valid" and any(
            "expired" in str(m.get("message", "")) for m in detail.get("messages", []) if isinstance(m, dict)
        ):
            code = "TOKEN_EXPIRED"
    else:
        message = str(detail)
    return ApiError(exc.status_code, message, code, headers=headers, extra=extra)


# --- Envelopes --------------------------------------------------------------------------------


def _pipeline(error: ApiError) -> dict[str, Any]:
    if error.is_validation:
        return dict(error.field_errors)
    return {"detail": error.message, **error.extra}


def _access(error: ApiError) -> dict[str, Any]:
    return {
        "error": error.message if not error.is_validation else error.title,
        "details": error.field_errors,
        **error.extra,
    }


def _twin(error: ApiError) -> dict[str, Any]:
    body: dict[str, Any] = {"error": error.title, "message": error.message, **error.extra}
    if error.is_validation:
        body["details"] = error.field_errors
    return body


def _enginel(error: ApiError) -> dict[str, Any]:
    return {
        "error": error.title,
        "detail": error.message,
        "code": error.code,
        "field_errors": error.field_errors,
        **error.extra,
    }


def _sqal(error: ApiError) -> dict[str, Any]:
    if error.is_validation:
        error.status = 422
        return {
            "detail": [
                {"loc": ["body", *path] if path else ["body"], "msg": msg, "type": kind}
                for path, msg, kind in error.items
            ]
        }
    return {"detail": error.message, **error.extra}


ENVELOPES = {"pipeline": _pipeline, "access": _access, "twin": _twin, "enginel": _enginel, "sqal": _sqal}


def render(error: ApiError, dialect: str) -> tuple[int, dict[str, Any]]:
    body = ENVELOPES.get(dialect, _pipeline)(error)
    return error.status, body


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    error = normalise(exc)
    if error is None:
        return None  # not an API error: let Django log it and answer 500 (see handler500)
    view = context.get("view")
    status, body = render(error, getattr(view, "dialect", "pipeline"))
    response = Response(body, status=status, headers=error.headers)
    return response


# --- Errors raised outside DRF views (unknown URL, crash) --------------------------------------

# Path prefixes that only one dialect's document uses (a URL no route matches still gets its envelope).
_PREFIX_DIALECTS = (
    ("/api/access/", "access"),
    ("/tasks", "access"),
    ("/api/ai/", "sqal"),
    ("/api/firmware/", "sqal"),
    ("/api/bugs/", "sqal"),
    ("/api/admin/", "sqal"),
    ("/api/analysis/", "sqal"),
    ("/api/sensors/", "sqal"),
    ("/api/reports/", "sqal"),
    ("/api/devices", "twin"),
    ("/api/export_data", "twin"),
    ("/api/health_scores", "twin"),
    ("/api/historical_data", "twin"),
    ("/api/predictions", "twin"),
    ("/api/recommendations", "twin"),
    ("/api/system_metrics", "twin"),
    ("/api/tasks", "twin"),
    ("/api/analysis-jobs", "enginel"),
    ("/api/audit-logs", "enginel"),
    ("/api/bom-nodes", "enginel"),
    ("/api/designs", "enginel"),
    ("/api/markups", "enginel"),
    ("/api/monitoring", "enginel"),
    ("/api/reviews", "enginel"),
    ("/api/series", "enginel"),
    ("/api/health", "enginel"),
)


def dialect_for_path(path: str) -> str:
    return next((dialect for prefix, dialect in _PREFIX_DIALECTS if path.startswith(prefix)), "pipeline")


def dialect_for_request(request: HttpRequest) -> str:
    """The dialect of the view the request's path routes to, else the one its prefix belongs to."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
        except Exception:  # an error page must never fail: a broken URL table falls back to the prefix
            logger.warning("could not resolve %s for its error envelope", request.path_info, exc_info=True)
            match = None
    if match is not None:
        view = getattr(match.func, "cls", None) or getattr(match.func, "view_class", None)
        dialect = getattr(view, "dialect", None)
        if isinstance(dialect, str) and dialect in ENVELOPES:
            return dialect
    return dialect_for_path(request.path)


def error_response(request: HttpRequest, error: ApiError) -> JsonResponse:
    """An error answered outside DRF (middleware, Django's handlers) in the request's dialect."""
    status_out, body = render(error, dialect_for_request(request))
    response = JsonResponse(body, status=status_out)
    for name, value in error.headers.items():
        response[name] = value
    return response


def _json_error(request: HttpRequest, status: int, message: str, code: str) -> JsonResponse:
    return error_response(request, ApiError(status, message, code))


def handler404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(request, 404, "Not found.", "RESOURCE_NOT_FOUND")


SERVER_ERROR = ("A server error occurred.", "INTERNAL_ERROR")


def handler500(request: HttpRequest) -> JsonResponse:
    return _json_error(request, 500, *SERVER_ERROR)


def server_error_body(path: str) -> bytes:
    """The body of ``handler500`` for ``path``, for a server that cannot reach Django's handlers (the
    HTTP bridge when the WSGI application itself raises): the dialect is the path's prefix's."""
    _, body = render(ApiError(500, *SERVER_ERROR), dialect_for_path(path))
    return JsonResponse(body).content


def handler403(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(request, 403, "You do not have permission to perform this action.", "PERMISSION_DENIED")


def handler400(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(request, 400, "Bad request.", "BAD_REQUEST")
