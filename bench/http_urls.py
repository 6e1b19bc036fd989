"""The two endpoints ``bench/http.py`` loads; they exist only under ``bench.http_settings``.

``/bench/hello``  a bare DRF view: no authentication, no permission, one small JSON object.
``/bench/users``  a list as the product serves one: the project's default authentication (JWT Bearer
                  first) and permission (IsAuthenticated), the default filter backends, and
                  ``PipelinePagination`` over the users.
"""

from __future__ import annotations

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


urlpatterns = [
    path("bench/hello", HelloView.as_view()),
    path("bench/users", UserListView.as_view()),
]
