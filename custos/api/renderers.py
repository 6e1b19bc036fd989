"""JSON rendering with orjson (several times faster than the standard library on large lists)."""

from __future__ import annotations

import decimal
import uuid
from typing import Any

import orjson
from djangorestframework_camel_case.util import camelize
from rest_framework.renderers import BaseRenderer

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def _default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "__str__"):  # lazy translation strings, ErrorDetail, ...
        return str(value)
    raise TypeError(f"Cannot serialise {type(value).__name__}")


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default, option=_OPTIONS)


class ORJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        return dumps(data)


class CamelCaseORJSONRenderer(ORJSONRenderer):
    """The sqal dialect: response keys in camelCase, as the SQAL frontend reads them."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        view = (renderer_context or {}).get("view")
        ignore = getattr(view, "camel_ignore_fields", None) or ()
        return dumps(camelize(data, ignore_fields=ignore))
