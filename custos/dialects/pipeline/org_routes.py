"""pipeline dialect: users, activity logs and system settings routes.

``/api/users/`` is also the enginel document's route (one viewset, the union of both).
"""

from custos.api.routing import ALT_SUFFIX, DialectRouter, both
from custos.audit.api.views import ActivityLogViewSet
from custos.ops.api.settings import SettingsViewSet
from custos.orgs.api.users import UserViewSet

router = DialectRouter()
router.register(r"api/users", UserViewSet, basename="user")
router.register(r"api/activity-logs", ActivityLogViewSet, basename="activity-log")
router.register(r"api/settings", SettingsViewSet, basename="settings")

urlpatterns = [
    # The original served the underscore spelling of the action (specs/notes.md): accept it too. It is
    # the same operation as update-settings/, so it is named as an alternate form (left out of the schema).
    *both(
        "api/settings/update_settings/",
        SettingsViewSet.as_view({"put": "update_settings", "patch": "update_settings"}),
        f"settings-update-settings-underscore{ALT_SUFFIX}",
    ),
    *router.urls,
]
websocket_urlpatterns: list = []
