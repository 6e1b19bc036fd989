"""JSON request parsing with orjson; the sqal dialect also accepts camelCase keys."""

from __future__ import annotations

from typing import Any

import orjson
from djangorestframework_camel_case.util import underscoreize
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser


class ORJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        body = stream.read() if stream is not None else b""
        if not body:
            return {}
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class CamelCaseORJSONParser(ORJSONParser):
    """Accepts camelCase and snake_case keys alike (camelCase keys are converted to snake_case)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        view = (parser_context or {}).get("view")
        ignore = getattr(view, "camel_ignore_fields", None) or ()
        return underscoreize(data, ignore_fields=ignore)
