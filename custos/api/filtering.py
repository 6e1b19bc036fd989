"""The field filters of every list (``filterset_class`` / ``filterset_fields``), at no cost when unused.

django-filter's backend builds a new ``FilterSet`` class on every request of a view that declares
``filterset_fields``, then a form, which it validates, even when the request names no filter at all
(most requests: a page of a list). This backend builds each generated class once per view class, and
skips the form when no query parameter can belong to a filter and an absent value provably filters
nothing: every filter optional, and the ``FilterSet`` neither overriding ``filter_queryset`` nor ``qs``
(django-filter passes an empty value through every filter, ``method=`` filters included). Whatever a
request names goes through django-filter exactly as before (validation errors included).
"""

from __future__ import annotations

import functools
from typing import Any

from django.db.models import QuerySet
from django_filters import FilterSet
from django_filters.rest_framework import DjangoFilterBackend


@functools.cache
def _generated(view_class: type, model: type, fields: tuple[str, ...]) -> type[FilterSet]:
    """The class django-filter would generate for ``filterset_fields``, built once per view class."""
    meta = type("Meta", (), {"model": model, "fields": fields})
    namespace = {"Meta": meta, "__module__": __name__}
    return type(FilterSet)(f"{view_class.__name__}FilterSet", (FilterSet,), namespace)


@functools.cache
def absence_filters_nothing(filterset_class: type[FilterSet]) -> bool:
    """Whether a request naming none of the class's filters gets the queryset unfiltered."""
    if filterset_class.filter_queryset is not FilterSet.filter_queryset or filterset_class.qs is not FilterSet.qs:
        return False
    return not any(f.extra.get("required") for f in filterset_class.base_filters.values())


def names_a_filter(params: Any, filterset_class: type[FilterSet]) -> bool:
    """Whether a query parameter may belong to a filter: its name, or its name plus a suffix (ranges
    are ``<name>_min``/``<name>_after``, ...; erring towards "yes" only costs the form)."""
    names = tuple(filterset_class.base_filters)
    return any(key.startswith(names) for key in params)


class FilterBackend(DjangoFilterBackend):
    def get_filterset_class(self, view: Any, queryset: Any = None) -> Any:
        fields = getattr(view, "filterset_fields", None)
        if getattr(view, "filterset_class", None) or not fields or queryset is None or isinstance(fields, dict):
            return super().get_filterset_class(view, queryset)
        view_class: Any = type(view)
        return _generated(view_class, queryset.model, tuple(fields))

    def filter_queryset(self, request: Any, queryset: QuerySet, view: Any) -> QuerySet:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        if absence_filters_nothing(filterset_class) and not names_a_filter(request.query_params, filterset_class):
            return queryset
        return super().filter_queryset(request, queryset, view)
