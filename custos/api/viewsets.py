"""Base views and viewsets: each belongs to one dialect and answers in its conventions.

Resources over organization-owned models are declared on ``custos.api.resources.TenantResource``
(scoped by structure); these bases serve everything else (accounts, presenters, aggregates).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import generics, viewsets
from rest_framework.views import APIView

from custos.api.conventions import get_dialect
from custos.api.serializers import make_fast_list, make_fast_single


class DialectMixin:
    dialect: ClassVar[str] = "pipeline"
    field_selection: ClassVar[bool] = False
    # False on routes that must never be throttled (the liveness probe of load balancers).
    dialect_throttles: ClassVar[bool] = True
    # Set by __init_subclass__ (declared here for the type checker only).
    schema: ClassVar[Any]
    throttle_classes: Any
    _dialect_auto: ClassVar[frozenset[str]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        conventions = get_dialect(cls.dialect)
        auto: set[str] = set()
        # A class may set any of these itself; otherwise its dialect decides.
        for attribute, value in (
            ("pagination_class", conventions.pagination_class),
            ("renderer_classes", list(conventions.renderer_classes)),
            ("parser_classes", list(conventions.parser_classes)),
            ("field_selection", conventions.field_selection),
        ):
            if not _set_explicitly(cls, attribute):
                setattr(cls, attribute, value)
                auto.add(attribute)
        if conventions.throttles and cls.dialect_throttles:
            own = [t for t in getattr(cls, "throttle_classes", ()) if t not in conventions.throttles]
            cls.throttle_classes = [*own, *conventions.throttles]
        if conventions.schema_class is not None and not _set_explicitly(cls, "schema"):
            cls.schema = conventions.schema_class()
            auto.add("schema")
        cls._dialect_auto = frozenset(auto)

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        """Output (an object or ``many=True``, without ``data``) is presented by ``present_rows``: the same
        body without DRF's per-field overhead."""
        serializer = super().get_serializer(*args, **kwargs)  # type: ignore[misc]
        if "data" not in kwargs and args:
            serializer = make_fast_list(serializer) if kwargs.get("many") else make_fast_single(serializer)
        return serializer


def _set_explicitly(cls: type, attribute: str) -> bool:
    for klass in cls.__mro__:
        if not issubclass(klass, DialectMixin) or klass.__module__ == __name__:
            continue
        if attribute in klass.__dict__ and attribute not in klass.__dict__.get("_dialect_auto", ()):
            return True
    return False


class DialectAPIView(DialectMixin, APIView):
    pass


class DialectViewSet(DialectMixin, viewsets.GenericViewSet):
    pass


class DialectGenericView(DialectMixin, generics.GenericAPIView):
    pass
