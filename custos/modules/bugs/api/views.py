"""``/api/bugs/*`` of the sqal document (docs/sqal-bugs.md) on the tenant resource base: ``{items,
pagination}`` lists (``skip``/``limit``), ``{data, message}`` objects, camelCase keys, 422 on bad input.

* ``GET/POST /api/bugs/``; ``GET/PATCH /api/bugs/{bug_id}`` (the detail carries the comments);
* ``POST /api/bugs/{bug_id}/comments/``;
* ``GET /api/bugs/metrics/summary/``: counts and resolution times of the bugs the list would show.

Reads: any member; writes: OWNER, ADMIN or MEMBER.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from custos.api.conventions import get_dialect
from custos.api.resources import TenantResource, Writes
from custos.modules.bugs import selectors, services
from custos.modules.bugs.api import serializers as s
from custos.modules.bugs.filters import BugFilter
from custos.modules.bugs.models import BugReport


@extend_schema_view(
    create=extend_schema(request=s.BugWriteSerializer, responses={201: s.BugEnvelope}),
    partial_update=extend_schema(request=s.BugWriteSerializer, responses=s.BugEnvelope),
)
class BugViewSet(TenantResource):
    dialect = "sqal"
    queryset = BugReport.objects.all()
    serializer_class = s.BugSerializer
    input_serializer_class = s.BugWriteSerializer
    filterset_class = BugFilter
    search_fields = ("title", "description", "category")
    ordering_fields = ("created_at", "updated_at", "severity", "status", "resolved_at", "title")
    ordering = ("-created_at",)
    lookup_url_kwarg = "bug_id"
    camel_ignore_fields = ("environment", "by_status", "by_severity")
    writes = Writes(create=services.bug_create, update=services.bug_update)
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scope(self, queryset: QuerySet) -> QuerySet:
        if self.action == "retrieve":
            return selectors.bug_with_comments(queryset)
        if self.action == "summary":
            return queryset
        return selectors.bugs_listed(queryset)

    @extend_schema(responses=s.BugDetailEnvelope)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.BugDetailSerializer(self.get_object(), context=self.get_serializer_context()).data
        return Response(get_dialect(self.dialect).present_one(data))

    @extend_schema(request=s.CommentWriteSerializer, responses={201: s.CommentEnvelope})
    @action(detail=True, methods=["post"])
    def comments(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        bug = self.get_object()
        data = self.valid_input(s.CommentWriteSerializer)
        comment = services.bug_comment_create(self.ctx.within(bug.organization_id), bug, data=data)
        body = s.CommentSerializer(comment, context=self.get_serializer_context()).data
        return Response(get_dialect(self.dialect).present_one(body, message="Created"), status=201)

    @extend_schema(responses=s.BugMetricsEnvelope, filters=True)
    @action(detail=False, methods=["get"], url_path="metrics/summary")
    def summary(self, request: Request) -> Response:
        """Counts by status and severity and the mean/median resolution time (hours, from the stored
        ``created_at`` and ``resolved_at``; ``null`` when no bug is resolved) of the bugs the list's
        filters select."""
        metrics = selectors.bug_metrics(self.filter_queryset(self.get_queryset()))
        return Response(get_dialect(self.dialect).present_one(metrics))
