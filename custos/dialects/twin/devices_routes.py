"""twin dialect: devices, device tokens, reading ingestion and history (custos.devices)."""

from custos.api.routing import DialectRouter, both
from custos.devices.api import views

router = DialectRouter(trailing_slash=False)
router.register("api/devices", views.DeviceResource, basename="twin-devices")

urlpatterns = [
    *both("api/devices/<str:device_id>/readings", views.DeviceReadingsView.as_view(), name="twin-device-readings"),
    *both("api/readings", views.ReadingsView.as_view(), name="twin-readings"),
    *both("api/admin/devices/<str:device_id>/token", views.DeviceTokenView.as_view(), name="twin-device-token"),
    *both("api/historical_data", views.HistoricalDataView.as_view(), name="twin-historical-data"),
    *router.urls,
]
websocket_urlpatterns: list = []
