"""twin dialect: devices, device tokens, reading ingestion and history, alarm rules and alerts (custos.devices).

``/api/alerts`` is registered without the slash only: ``/api/alerts/`` is the pipeline document's route.
"""

from django.urls import path

from custos.api.routing import DialectRouter, both
from custos.devices.api import views

router = DialectRouter(trailing_slash=False)
router.register("api/devices", views.DeviceResource, basename="twin-devices")
router.register("api/alert-rules", views.AlertRuleResource, basename="twin-alert-rules")

urlpatterns = [
    *both("api/devices/<str:device_id>/readings", views.DeviceReadingsView.as_view(), name="twin-device-readings"),
    *both("api/readings", views.ReadingsView.as_view(), name="twin-readings"),
    *both("api/admin/devices/<str:device_id>/token", views.DeviceTokenView.as_view(), name="twin-device-token"),
    *both("api/historical_data", views.HistoricalDataView.as_view(), name="twin-historical-data"),
    path("api/alerts", views.TwinAlertsView.as_view(), name="twin-alerts"),
    path(
        "api/alerts/acknowledge/<str:alert_id>", views.TwinAlertAcknowledgeView.as_view(), name="twin-alert-acknowledge"
    ),
    *router.urls,
]
websocket_urlpatterns: list = []
