"""The two endpoints ``bench/http.py`` loads; they exist only under ``bench.http_settings``.

``/bench/hello``  a bare DRF view: no authentication, no permission, one small JSON object.
``/bench/users``  a list as the product serves one: the project's default authentication (JWT Bearer
                  first) and permission (IsAuthenticated), the default filter backends, and
                  ``PipelinePagination`` over the users.
``/bench/floor``  the least an authenticated, counted page of 50 can cost on this stack, for
                  ``bench/serving.py`` to set the product's lists beside: the product's JWT
                  authentication (its one query), then one ``COUNT(*)`` and one ``SELECT`` of 50 audit
                  rows through a raw cursor, written by orjson. No tenancy, filters, serializer or
                  dialect: a floor, not a route anyone could ship.
"""

from __future__ import annotations

import orjson
from django.db import connection
from django.http import HttpResponse
from django.urls import path
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from custos.api.pagination import PipelinePagination
from custos.identity.models import User


class HelloView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    def get(self, request: Request) -> Response:
        return Response({"hello": "world"})


class BenchUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = (
            "id",
            "email",
            "username",
            "first_name",
            "last_name",
            "is_active",
            "date_joined",
        )


class UserListView(ListAPIView):
    """Authentication, permission and filter backends are left to ``REST_FRAMEWORK``'s defaults."""

    queryset = User.objects.order_by("email")
    serializer_class = BenchUserSerializer
    pagination_class = PipelinePagination


class FloorPageView(APIView):
    """Authentication and permission are ``REST_FRAMEWORK``'s defaults (JWT Bearer first)."""

    def get(self, request: Request) -> HttpResponse:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM audit_auditlog")
            count = cursor.fetchone()[0]
            cursor.execute("SELECT * FROM audit_auditlog ORDER BY sequence DESC LIMIT 50")
            names = [column[0] for column in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        body = orjson.dumps({"count": count, "results": rows}, option=orjson.OPT_PASSTHROUGH_SUBCLASS, default=str)
        return HttpResponse(body, content_type="application/json")


urlpatterns = [
    path("bench/hello", HelloView.as_view()),
    path("bench/users", UserListView.as_view()),
    path("bench/floor", FloorPageView.as_view()),
]
