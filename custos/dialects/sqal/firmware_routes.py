"""sqal dialect: the firmware area (``/api/firmware/*``) and the admin device registry
(``/api/admin/devices/*``; the token route ``/api/admin/devices/{device_id}/token`` is the twin table's)."""

from custos.api.routing import DialectRouter, both
from custos.devices.api.firmware_views import (
    AdminDeviceViewSet,
    FirmwareDownloadView,
    FirmwareVersionViewSet,
    OtaUpdateViewSet,
)

router = DialectRouter()
router.register("api/firmware/versions", FirmwareVersionViewSet, basename="sqal-firmware-version")
router.register("api/firmware/ota", OtaUpdateViewSet, basename="sqal-ota-update")
router.register("api/admin/devices", AdminDeviceViewSet, basename="sqal-admin-device")

urlpatterns = [
    *both(
        "api/firmware/versions/<str:version_id>/download/",
        FirmwareDownloadView.as_view(),
        "sqal-firmware-download",
    ),
    *router.urls,
]
websocket_urlpatterns: list = []
