"""drf-spectacular hooks."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from djangorestframework_camel_case.util import camelize
from drf_spectacular.openapi import AutoSchema

from custos.api.routing import ALT_SUFFIX, UNDERSCORE_SUFFIX

_ALIASES = (ALT_SUFFIX, UNDERSCORE_SUFFIX)


def _alternate_callbacks_and_routes() -> set[str]:
    found: set[str] = set()

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and entry.name and entry.name.endswith(_ALIASES):
                found.add(prefix + str(entry.pattern))

    walk(get_resolver().url_patterns, "")
    return found


def drop_alternate_paths(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """Leave the other-slash twin and the underscore alias of each route out of the schema: the same operation."""
    alternates = _alternate_callbacks_and_routes()
    return [endpoint for endpoint in endpoints if endpoint[1] not in alternates]


def _camel(name: str) -> str:
    """A key as the sqal renderer writes it (the same conversion)."""
    return next(iter(camelize({name: None})))


def camelized(schema: dict[str, Any]) -> dict[str, Any]:
    """An object schema whose property names (and required list) are in camelCase."""
    if "properties" in schema:
        schema = {**schema, "properties": {_camel(key): value for key, value in schema["properties"].items()}}
        if "required" in schema:
            schema["required"] = [_camel(key) for key in schema["required"]]
    return schema


class SqalAutoSchema(AutoSchema):
    """The sqal dialect reads and answers camelCase keys, so its components are camelCase copies of the
    serializers, named ``Sqal<Name>`` (the snake_case ones stay for the dialects that use them)."""

    def _get_serializer_name(self, serializer: Any, direction: Any, bypass_extensions: bool = False) -> str:
        return "Sqal" + super()._get_serializer_name(serializer, direction, bypass_extensions)

    def _map_serializer(self, serializer: Any, direction: Any, bypass_extensions: bool = False) -> Any:
        return camelized(super()._map_serializer(serializer, direction, bypass_extensions))
