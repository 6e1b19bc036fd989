"""The conventions of each dialect (DESIGN.md, "Dialects"), looked up by name.

They live in the core (not in ``custos/dialects``) because domain modules build their views in a
dialect's conventions and must not import the dialect packages, which import the modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rest_framework.pagination import BasePagination
from rest_framework.parsers import BaseParser, FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer

from custos.api import pagination
from custos.api.parsers import CamelCaseORJSONParser, ORJSONParser
from custos.api.renderers import CamelCaseORJSONRenderer, ORJSONRenderer
from custos.api.schema import SqalAutoSchema
from custos.ops.throttles import ENGINEL_THROTTLES

_JSON_PARSERS: tuple[type[BaseParser], ...] = (ORJSONParser, FormParser, MultiPartParser)


@dataclass(frozen=True)
class Dialect:
    name: str
    pagination_class: type[BasePagination]
    renderer_classes: tuple[type[BaseRenderer], ...] = (ORJSONRenderer,)
    parser_classes: tuple[type[BaseParser], ...] = _JSON_PARSERS
    field_selection: bool = False  # ``?fields=a,b`` trims each object to those fields
    single_envelope: bool = False  # single objects as ``{data, message}`` (sqal)
    schema_class: type | None = None  # the OpenAPI inspector, when not drf-spectacular's default
    throttles: tuple[type, ...] = ()  # limits every route of the dialect keeps, whatever else a view sets

    def present_one(self, data: Any, *, message: str | None = None) -> Any:
        """One object as this dialect answers it: as is, or ``{data, message}``."""
        if self.single_envelope:
            return {"data": data, "message": message or "Success"}
        return data


DIALECTS: dict[str, Dialect] = {
    "pipeline": Dialect("pipeline", pagination.PipelinePagination),
    "access": Dialect("access", pagination.AccessPagination),
    "twin": Dialect("twin", pagination.TwinPagination),
    "enginel": Dialect("enginel", pagination.EnginelPagination, field_selection=True, throttles=ENGINEL_THROTTLES),
    "sqal": Dialect(
        "sqal",
        pagination.SqalPagination,
        renderer_classes=(CamelCaseORJSONRenderer,),
        parser_classes=(CamelCaseORJSONParser, FormParser, MultiPartParser),
        single_envelope=True,
        schema_class=SqalAutoSchema,
    ),
}


def get_dialect(name: str) -> Dialect:
    try:
        return DIALECTS[name]
    except KeyError:
        raise LookupError(f"unknown dialect {name!r}; known: {', '.join(DIALECTS)}") from None
