"""The list envelopes of the five dialects (DESIGN.md, "Dialects").

Every paging number is bounded: ``skip``/``offset`` and ``page`` at most ``MAX_POSITION`` (a larger
value is bad input: 400, 422 for sqal; never an overflow in the database), ``limit`` at most the
class's maximum, ``page_size`` capped at ``max_page_size`` (DRF's rule). A page past the last one of
a numbered list stays DRF's 404 ``Invalid page.``.

Counts are bounded too (``bounded_count``): on PostgreSQL an UNFILTERED list of a table the planner
estimates at ``CUSTOS_EXACT_COUNT_LIMIT`` rows or more reports that estimate (``pg_class.reltuples``,
kept current by autovacuum/ANALYZE) instead of scanning the table for ``COUNT(*)``; a smaller table
is counted exactly, in the same statement. A filtered list (every organization-owned resource is
narrowed to the caller's organizations) is always counted exactly: its count is what the documents
promise (``totalItems`` counts the filtered rows). SQLite counts exactly.
"""

from __future__ import annotations

import inspect
import math
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, overload

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.inspect import method_has_no_args
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response

MAX_POSITION = 2**31 - 1  # the largest page number or row offset any list accepts
EXACT_COUNT_LIMIT = 100_000  # the default of ``settings.CUSTOS_EXACT_COUNT_LIMIT``

# One statement: the planner's estimate of the table's rows when it reaches the limit, else the exact
# count. The count is an uncorrelated subquery (an InitPlan), which PostgreSQL runs only when the
# ELSE branch needs it. ``reltuples`` is -1 for a table never analyzed: counted exactly.
_ESTIMATE_OR_COUNT = (
    "SELECT CASE WHEN c.reltuples >= %s THEN c.reltuples::bigint ELSE (SELECT COUNT(*) FROM {table}) END"
    " FROM pg_class c WHERE c.oid = to_regclass(%s)"
)


def exact_count_limit() -> int:
    """Tables estimated below this many rows are counted exactly; 0 counts every table exactly."""
    return int(getattr(settings, "CUSTOS_EXACT_COUNT_LIMIT", EXACT_COUNT_LIMIT))


def is_unfiltered(queryset: QuerySet) -> bool:
    """Whether ``queryset`` selects every row of its model's table once (no WHERE, DISTINCT, GROUP BY,
    set operation or slice), so that its count is the table's row count."""
    query = queryset.query
    return not (
        query.where
        or query.distinct
        or query.group_by is not None
        or query.combinator
        or query.is_sliced
        or query.model is None
    )


def bounded_count(object_list: Any) -> int:
    """The number of rows of a list: exact, except an unfiltered PostgreSQL table estimated at
    ``exact_count_limit()`` rows or more, which answers the planner's estimate (module docstring)."""
    if not isinstance(object_list, QuerySet):
        count = getattr(object_list, "count", None)  # as Django's Paginator counts other sequences
        if callable(count) and not inspect.isbuiltin(count) and method_has_no_args(count):
            return int(count())
        return len(object_list)
    limit = exact_count_limit()
    connection = connections[object_list.db]
    if limit <= 0 or connection.vendor != "postgresql" or not is_unfiltered(object_list):
        return object_list.count()
    table = object_list.model._meta.db_table
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        cursor.execute(_ESTIMATE_OR_COUNT.format(table=quoted), [limit, quoted])
        row = cursor.fetchone()
    return int(row[0]) if row is not None else object_list.count()


class ValueRows(Sequence[Any]):
    """A list's rows as every paginator here reads them, without a model instance per row: counted as
    ``queryset`` itself (the count keeps none of the columns or joins of the rows), a page read as
    ``values()`` dicts of ``columns`` only, or, with ``make``, as ``make(values_list row)``. A view hands it
    to ``paginate_queryset``; its serializer must read such rows (``present_rows`` reads dicts)."""

    def __init__(self, queryset: QuerySet, columns: Any, make: Any = None) -> None:
        self.queryset = queryset
        self.columns = tuple(columns)
        self.make = make

    def __len__(self) -> int:  # what the paginators count (Sequence's count(value) is not theirs)
        return bounded_count(self.queryset)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        page = index if isinstance(index, slice) else slice(index, index + 1)
        if self.make is None:
            rows = list(self.queryset.values(*self.columns)[page])
        else:
            rows = [self.make(row) for row in self.queryset.values_list(*self.columns)[page]]
        if isinstance(index, slice):
            return rows
        if not rows:
            raise IndexError(index)
        return rows[0]


class BoundedCountPaginator(Paginator):
    """Django's paginator counting through ``bounded_count``."""

    @cached_property
    def count(self) -> int:
        return bounded_count(self.object_list)


def _int_param(request: Any, name: str, default: int, minimum: int, maximum: int | None) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    text = str(raw).strip()
    upper = MAX_POSITION if maximum is None else maximum
    bound = f"between {minimum} and {maximum}" if maximum is not None else None
    if len(text) > 32:  # no number we accept is that long: refuse it before converting it
        raise ValidationError({name: [f"Must be {bound or f'at most {upper}'}."]})
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise ValidationError({name: [f"A valid integer is required, got {raw!r}."]}) from None
    if value < minimum:
        raise ValidationError({name: [f"Must be {bound or f'at least {minimum}'}."]})
    if value > upper:
        raise ValidationError({name: [f"Must be {bound or f'at most {upper}'}."]})
    return value


class BoundedPageNumberPagination(PageNumberPagination):
    """DRF's numbered pages, with an absurd ``page`` (beyond ``MAX_POSITION``) refused as bad input and
    the count bounded (``bounded_count``)."""

    django_paginator_class = BoundedCountPaginator

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any] | None:
        raw = request.query_params.get(self.page_query_param)
        if raw not in (None, "") and raw not in self.last_page_strings:
            text = str(raw).strip()
            if len(text) > 32 or (text.lstrip("+-").isdigit() and int(text) > MAX_POSITION):
                raise ValidationError({self.page_query_param: [f"Must be between 1 and {MAX_POSITION}."]})
        return super().paginate_queryset(queryset, request, view)


class PipelinePagination(BoundedPageNumberPagination):
    """``{count, next, previous, results}``; ``page``, ``page_size`` (default 20)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 1000


class AccessPagination(PipelinePagination):
    max_page_size = 100


class EnginelPagination(BoundedPageNumberPagination):
    """``{count, next, previous, results}``; ``page_size`` default 50, at most 100."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100


class TwinPagination(BasePagination):
    """Plain JSON arrays; ``limit`` (default 100, at most 1000) and ``offset`` cut the list."""

    default_limit = 100
    max_limit = 1000

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any]:
        limit = _int_param(request, "limit", self.default_limit, 1, self.max_limit)
        offset = _int_param(request, "offset", 0, 0, None)
        return list(queryset[offset : offset + limit])

    def get_paginated_response(self, data: Any) -> Response:
        return Response(data)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return schema

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit},
            },
            {
                "name": "offset",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_POSITION},
            },
        ]


class SqalPagination(BasePagination):
    """``{items, pagination{totalItems, totalPages, currentPage, hasPrevious, hasNext}}`` over skip/limit."""

    default_limit = 50
    max_limit = 1000

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any]:
        self.skip = _int_param(request, "skip", 0, 0, None)
        self.limit = _int_param(request, "limit", self.default_limit, 1, self.max_limit)
        self.total = bounded_count(queryset)
        return list(queryset[self.skip : self.skip + self.limit])

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            OrderedDict(
                items=data,
                pagination=OrderedDict(
                    totalItems=self.total,
                    totalPages=math.ceil(self.total / self.limit),
                    currentPage=self.skip // self.limit + 1,
                    hasPrevious=self.skip > 0,
                    hasNext=self.skip + self.limit < self.total,
                ),
            )
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["items", "pagination"],
            "properties": {
                "items": schema,
                "pagination": {
                    "type": "object",
                    "properties": {
                        "totalItems": {"type": "integer"},
                        "totalPages": {"type": "integer"},
                        "currentPage": {"type": "integer"},
                        "hasPrevious": {"type": "boolean"},
                        "hasNext": {"type": "boolean"},
                    },
                },
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": "skip",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_POSITION},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit},
            },
        ]
