"""Routes of the enginel document (specs/003-enginel-plm.md)."""

from custos.api.routing import both
from custos.ops.api.views import DetailedHealthView, HealthView

urlpatterns = [
    *both("api/health/", HealthView.as_view(), "api-health"),
    *both("api/health/detailed/", DetailedHealthView.as_view(), "api-health-detailed"),
]
