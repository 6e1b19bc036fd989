"""Per-user rate limits of the analytics routes (the document's), counted in the shared cache."""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import SimpleRateThrottle

from custos.kernel.context import client_ip


class _UserThrottle(SimpleRateThrottle):
    def get_cache_key(self, request: Any, view: Any) -> str:
        user = getattr(request, "user", None)
        ident = f"user:{user.pk}" if user is not None and user.is_authenticated else f"ip:{client_ip(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class DashboardThrottle(_UserThrottle):
    scope, rate = "twin_dashboard", "60/min"


class PredictionsThrottle(_UserThrottle):
    scope, rate = "twin_predictions", "60/min"


class HealthScoresThrottle(_UserThrottle):
    scope, rate = "twin_health_scores", "60/min"


class RecommendationsThrottle(_UserThrottle):
    scope, rate = "twin_recommendations", "30/min"
