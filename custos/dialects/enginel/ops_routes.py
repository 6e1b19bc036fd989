"""enginel dialect: health routes."""

from custos.api.routing import both
from custos.ops.api.views import DetailedHealthView, HealthView

urlpatterns = [
    *both("api/health/", HealthView.as_view(), "api-health"),
    *both("api/health/detailed/", DetailedHealthView.as_view(), "api-health-detailed"),
]
websocket_urlpatterns: list = []
