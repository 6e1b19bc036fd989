"""Service information and health endpoints (public: load balancers call them without credentials)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

import custos
from custos.api.viewsets import DialectAPIView
from custos.ops.checks import DEPENDENCY_CHECKS, run_checks, worker_status

_CheckMap = inline_serializer(
    "HealthChecks",
    {
        "database": serializers.CharField(),
        "cache": serializers.CharField(),
        "queue": serializers.CharField(),
        "audit": serializers.CharField(),
    },
)


def _detailed_body() -> tuple[dict, int]:
    results = run_checks()
    healthy = all(result.ok for result in results.values())
    checks = {name: result.label for name, result in results.items()}
    # The enginel document names its dependencies "redis" and "celery": report them under those names too.
    checks["redis"] = checks["cache"] if settings.REDIS_URL else "not configured (embedded cache)"
    checks["celery"] = checks["queue"]
    body = {
        "status": "healthy" if healthy else "unhealthy",
        "checks": checks,
        # Latency of the services depended on; the audit check verifies data, its cost is not a latency.
        "latency_ms": {name: result.latency_ms for name, result in results.items() if name in DEPENDENCY_CHECKS},
        "timestamp": timezone.now(),
    }
    worker = worker_status() if "worker" in results else None
    if worker is not None:  # the embedded worker supervised by `custos serve`: its pid and restarts
        body["worker"] = worker
    return body, 200 if healthy else 503


class RootView(DialectAPIView):
    dialect = "access"
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = ()

    @extend_schema(
        summary="Service information and links",
        responses=inline_serializer(
            "ServiceInfo",
            {
                "service": serializers.CharField(),
                "version": serializers.CharField(),
                "status": serializers.CharField(),
                "links": serializers.DictField(child=serializers.CharField()),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        def url(path: str) -> str:
            return request.build_absolute_uri(path)

        return Response(
            {
                "service": "custos",
                "name": "Custos",
                "version": custos.__version__,
                "status": "ok",
                "links": {
                    "health": url("/health/"),
                    "health_detailed": url("/api/health/detailed/"),
                    "metrics": url("/metrics"),
                    "schema": url("/api/schema/"),
                    "docs": url("/api/docs/"),
                    "redoc": url("/api/redoc/"),
                    "admin": url("/admin/"),
                },
            }
        )


class AccessHealthView(DialectAPIView):
    """``/health/``: checks the database, cache and job queue; 503 when one fails."""

    dialect = "access"
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = ()

    @extend_schema(
        summary="Health of the service and its dependencies",
        responses={
            200: inline_serializer(
                "AccessHealth",
                {
                    "status": serializers.CharField(),
                    "checks": _CheckMap,
                    "timestamp": serializers.DateTimeField(),
                },
            ),
            503: inline_serializer("AccessHealthFailed", {"status": serializers.CharField(), "checks": _CheckMap}),
        },
    )
    def get(self, request: Request) -> Response:
        body, status = _detailed_body()
        body["status"] = "ok" if status == 200 else "error"
        return Response(body, status=status)


class HealthView(DialectAPIView):
    """``/api/health/``: the process answers (liveness); no dependency is touched, not even the rate-limit
    counters (a load balancer probing every second must never meet a 429)."""

    dialect = "enginel"
    dialect_throttles = False
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = ()

    @extend_schema(
        summary="Liveness",
        responses=inline_serializer("Health", {"status": serializers.CharField(), "service": serializers.CharField()}),
    )
    def get(self, request: Request) -> Response:
        return Response({"status": "ok", "service": "custos"})


class DetailedHealthView(DialectAPIView):
    """``/api/health/detailed/``: real checks of database, cache and job queue; 503 when one fails."""

    dialect = "enginel"
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = ()

    @extend_schema(
        summary="Readiness: every dependency checked",
        responses={
            200: inline_serializer(
                "DetailedHealth",
                {
                    "status": serializers.CharField(),
                    "checks": serializers.DictField(child=serializers.CharField()),
                    "latency_ms": serializers.DictField(child=serializers.FloatField()),
                    "timestamp": serializers.DateTimeField(),
                    "worker": inline_serializer(
                        "SupervisedWorker",
                        {
                            "state": serializers.CharField(),
                            "pid": serializers.IntegerField(allow_null=True),
                            "restarts": serializers.IntegerField(),
                            "last_exit_code": serializers.IntegerField(allow_null=True),
                        },
                        required=False,
                        help_text="Present when `custos serve` supervises an embedded job worker.",
                    ),
                },
            ),
            503: inline_serializer(
                "DetailedHealthFailed",
                {
                    "status": serializers.CharField(),
                    "checks": serializers.DictField(child=serializers.CharField()),
                },
            ),
        },
    )
    def get(self, request: Request) -> Response:
        body, status = _detailed_body()
        return Response(body, status=status)
