"""One view, two dialects: the enginel conventions by default, the sqal ones when the request is sqal's.

DESIGN.md ("Routes claimed by more than one spec") serves ``/api/organizations/`` once: the enginel
envelope by default, the sqal envelope when ``skip`` or ``limit`` is given. A request is sqal's when
it names ``skip`` or ``limit``, or when it addresses an item in the sqal document's written form
(``/api/organizations/{org_id}``, no trailing slash; enginel writes ``{id}/``). A sqal request gets the
whole sqal convention: ``{items, pagination}`` lists, ``{data, message}`` single objects, camelCase
keys in and out, and the sqal error envelope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from custos.api.conventions import get_dialect
from custos.api.pagination import EnginelPagination, SqalPagination

if TYPE_CHECKING:
    from custos.api.viewsets import DialectViewSet

    _ViewSetBase = DialectViewSet
else:
    _ViewSetBase = object

SQAL_QUERY_PARAMS = ("skip", "limit")


def is_sqal_request(request: Any, kwargs: dict[str, Any], lookup: str) -> bool:
    params = getattr(request, "GET", None) or getattr(request, "query_params", {})
    if any(name in params for name in SQAL_QUERY_PARAMS):
        return True
    return lookup in kwargs and not request.path.endswith("/")


class EnginelOrSqalMixin(_ViewSetBase):  # mixed into a DialectViewSet (the type checker's view of it)
    """For a ``DialectViewSet`` with ``dialect = "enginel"``: switches to sqal per request."""

    sqal_mode: bool = False

    def initialize_request(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        lookup = self.lookup_url_kwarg or self.lookup_field
        self.sqal_mode = is_sqal_request(request, kwargs, lookup)
        if self.sqal_mode:
            # The exception handler renders errors in this dialect's envelope: a per-request (instance)
            # override of the class's dialect, on purpose.
            self.dialect = "sqal"  # type: ignore[misc]
        return super().initialize_request(request, *args, **kwargs)

    def get_parsers(self) -> list[Any]:
        if getattr(self, "sqal_mode", False):
            return [parser() for parser in get_dialect("sqal").parser_classes]
        return super().get_parsers()

    def get_renderers(self) -> list[Any]:
        if getattr(self, "sqal_mode", False):
            return [renderer() for renderer in get_dialect("sqal").renderer_classes]
        return super().get_renderers()

    @property
    def paginator(self) -> Any:
        if not hasattr(self, "_paginator"):
            self._paginator = SqalPagination() if self.sqal_mode else EnginelPagination()
        return self._paginator
