"""Request body parsing: JSON with orjson (the sqal dialect also accepts camelCase keys), bounded.

A body is bounded before it is parsed: its declared ``Content-Length`` above
``CUSTOS_MAX_JSON_BODY_BYTES`` (default 2 MiB; a view may declare its own ``max_body_bytes``) is
refused with 413 without reading a byte, and a body without one is read to one byte past the bound at
most. A parsed document nested deeper than
``CUSTOS_MAX_JSON_DEPTH`` (default 64) levels is a 400: nothing downstream (serializers, the audit
log's JSON, the camelCase conversion) then recurses deep enough to fail. ``BodySizeLimitMiddleware``
(``custos.api.middleware``) applies the same bounds to every content type before any view runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import orjson
from django.conf import settings
from djangorestframework_camel_case.util import underscoreize
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from custos.api.errors import PayloadTooLarge

DEFAULT_MAX_JSON_BODY_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_JSON_DEPTH = 64


def max_json_body_bytes() -> int:
    return int(getattr(settings, "CUSTOS_MAX_JSON_BODY_BYTES", DEFAULT_MAX_JSON_BODY_BYTES))


def max_json_depth() -> int:
    return int(getattr(settings, "CUSTOS_MAX_JSON_DEPTH", DEFAULT_MAX_JSON_DEPTH))


def view_body_limit(view: Any) -> int | None:
    """A route's own bound, when it declares one: ``max_body_bytes`` (bytes, or a function returning
    them) on the view class, e.g. a bulk ingest route that accepts more than ordinary JSON."""
    bound = getattr(view, "max_body_bytes", None)
    if callable(bound):
        bound = bound()
    return int(bound) if isinstance(bound, int) and not isinstance(bound, bool) and bound > 0 else None


def declared_length(meta: Any) -> int | None:
    """The request's ``Content-Length`` (``None`` when absent or not a number)."""
    raw = (meta or {}).get("CONTENT_LENGTH")
    try:
        return int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than {limit} bytes.", extra={"max_bytes": limit})


def read_bounded(stream: Any, *, limit: int, meta: Any = None) -> bytes:
    """The body, or ``PayloadTooLarge`` when it is (or says it is) longer than ``limit`` bytes."""
    length = declared_length(meta)
    if length is not None and length > limit:
        raise too_large(limit)
    if stream is None:
        return b""
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise too_large(limit)
    return body


def json_depth_exceeds(data: Any, limit: int) -> bool:
    """Whether ``data`` nests containers deeper than ``limit`` levels (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


DUPLICATE_CHECK_BYTES = 256 * 1024  # bodies up to this size are also checked for repeated keys


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ParseError(f"JSON parse error - the key {key[:100]!r} appears twice in one object.")
        seen[key] = value
    return seen


def reject_duplicate_keys(body: bytes) -> None:
    """A key repeated in one object is ambiguous (parsers disagree on which value wins): refused. The
    check re-reads the body with the standard library, so it runs on ordinary bodies only, not on
    bulk uploads past ``DUPLICATE_CHECK_BYTES`` (those are bounded in size and depth)."""
    if len(body) <= DUPLICATE_CHECK_BYTES:
        json.loads(body, object_pairs_hook=_unique_pairs)


class ORJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        context = parser_context or {}
        request = context.get("request")
        limit = view_body_limit(context.get("view")) or max_json_body_bytes()
        body = read_bounded(stream, limit=limit, meta=getattr(request, "META", None))
        if not body:
            return {}
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        depth = max_json_depth()
        if json_depth_exceeds(data, depth):
            raise ParseError(f"JSON parse error - the document is nested deeper than {depth} levels.")
        reject_duplicate_keys(body)
        return data


class CamelCaseORJSONParser(ORJSONParser):
    """Accepts camelCase and snake_case keys alike (camelCase keys are converted to snake_case)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)  # bounded in size and depth first
        view = (parser_context or {}).get("view")
        ignore = getattr(view, "camel_ignore_fields", None) or ()
        return underscoreize(data, ignore_fields=ignore)
