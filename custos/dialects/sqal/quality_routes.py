"""sqal dialect: the quality area (``/api/analysis``, ``/api/sensors``, ``/api/dashboard``, ``/ws/sensors/``,
``/ws/realtime/``)."""

from django.urls import re_path

from custos.api.routing import DialectRouter, both
from custos.modules.quality.api.views import (
    AnalysisAggregateViewSet,
    AnalysisHistoryViewSet,
    As7341RawViewSet,
    FusionViewSet,
    QualityDashboardViewSet,
    SensorDeviceViewSet,
    Vl53l8chRawViewSet,
)
from custos.modules.quality.consumers import RealtimeConsumer, StationConsumer

router = DialectRouter()
router.register("api/analysis/history", AnalysisHistoryViewSet, basename="sqal-analysis-history")
router.register("api/sensors/devices", SensorDeviceViewSet, basename="sqal-sensor-device")
router.register("api/analysis", AnalysisAggregateViewSet, basename="sqal-analysis")
router.register("api/dashboard", QualityDashboardViewSet, basename="sqal-dashboard")

urlpatterns = [
    *both("api/sensors/vl53l8ch/raw/", Vl53l8chRawViewSet.as_view({"get": "list"}), "sqal-vl53l8ch-raw"),
    *both("api/sensors/as7341/raw/", As7341RawViewSet.as_view({"get": "list"}), "sqal-as7341-raw"),
    *both("api/sensors/fusion/", FusionViewSet.as_view({"get": "list"}), "sqal-fusion"),
    *router.urls,
]
websocket_urlpatterns = [
    # with or without the trailing slash (stations are configured by hand)
    re_path(r"^ws/sensors/?$", StationConsumer.as_asgi()),
    re_path(r"^ws/realtime/?$", RealtimeConsumer.as_asgi()),
]
