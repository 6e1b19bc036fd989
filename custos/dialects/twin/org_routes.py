"""twin dialect: system metrics."""

from custos.api.routing import both
from custos.ops.api.monitoring import SystemMetricsView

urlpatterns = [
    *both("api/system_metrics", SystemMetricsView.as_view(), "system-metrics"),
]
websocket_urlpatterns: list = []
