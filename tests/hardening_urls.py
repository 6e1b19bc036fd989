"""The dialect test routes (``tests.dialect_urls``) plus a view per dialect that crashes (a bug: 500)."""

from __future__ import annotations

from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from custos.api.routing import both
from custos.api.viewsets import DialectAPIView
from tests.dialect_urls import DIALECT_NAMES
from tests.dialect_urls import urlpatterns as dialect_patterns


def crash_view(dialect_name: str) -> type[DialectAPIView]:
    class Crash(DialectAPIView):
        dialect = dialect_name
        permission_classes = (AllowAny,)

        def get(self, request):
            raise RuntimeError("a bug")

    return Crash


class BulkEcho(DialectAPIView):
    """A route that accepts larger JSON bodies than the default bound (``max_body_bytes``)."""

    dialect = "twin"
    permission_classes = (AllowAny,)

    @staticmethod
    def max_body_bytes() -> int:
        return 4096

    def post(self, request):
        return Response({"count": request.data.get("count")})


urlpatterns = [
    *both("bulk/echo/", BulkEcho.as_view(), "bulk-echo"),
    *dialect_patterns,
    *[
        pattern
        for name in DIALECT_NAMES
        for pattern in both(f"{name}/crash/", crash_view(name).as_view(), f"{name}-crash")
    ],
]

handler404 = "custos.api.errors.handler404"
handler500 = "custos.api.errors.handler500"
