"""A URL table of small views, one set per dialect, for testing the shared dialect machinery."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from custos.api.routing import both
from custos.api.serializers import FieldSelectionMixin
from custos.api.viewsets import DialectAPIView, DialectMixin
from custos.kernel.errors import NotFound

DIALECT_NAMES = ("pipeline", "access", "twin", "enginel", "sqal")


class Body(serializers.Serializer):
    name = serializers.CharField(max_length=5)
    count = serializers.IntegerField(min_value=0)


class UserRow(FieldSelectionMixin, serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ("email", "username", "first_name")


def views_for(dialect_name: str) -> list:
    class Echo(DialectAPIView):
        dialect = dialect_name
        permission_classes = (AllowAny,)

        def post(self, request):
            body = Body(data=request.data)
            body.is_valid(raise_exception=True)
            return Response(body.validated_data)

    class Missing(DialectAPIView):
        dialect = dialect_name
        permission_classes = (AllowAny,)

        def get(self, request):
            raise NotFound("No such thing.")

    class Private(DialectAPIView):
        dialect = dialect_name

        def get(self, request):
            return Response({"user": request.user.email})

    class Users(DialectMixin, generics.ListAPIView):
        dialect = dialect_name
        permission_classes = (AllowAny,)
        serializer_class = UserRow
        queryset = get_user_model().objects.order_by("email")
        filter_backends = ()

    return [
        *both(f"{dialect_name}/echo/", Echo.as_view(), f"{dialect_name}-echo"),
        *both(f"{dialect_name}/missing/", Missing.as_view(), f"{dialect_name}-missing"),
        *both(f"{dialect_name}/private/", Private.as_view(), f"{dialect_name}-private"),
        *both(f"{dialect_name}/users/", Users.as_view(), f"{dialect_name}-users"),
    ]


urlpatterns = [pattern for name in DIALECT_NAMES for pattern in views_for(name)]
