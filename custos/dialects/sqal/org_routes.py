"""sqal dialect: admin users, audit and settings routes.

``/api/organizations/`` of this document is served by the enginel table's organization viewset, which
answers in the sqal conventions for sqal requests (see ``custos/orgs/api/switch.py``).
"""

from custos.api.routing import both
from custos.audit.api.views import AdminAuditViewSet
from custos.ops.api.settings import AdminSettingsView
from custos.orgs.api.users import AdminUserViewSet

urlpatterns = [
    *both(
        "api/admin/users/",
        AdminUserViewSet.as_view({"get": "list", "post": "create"}),
        "admin-users",
    ),
    *both(
        "api/admin/users/<str:user_id>",
        AdminUserViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        "admin-user",
    ),
    *both("api/admin/audit/", AdminAuditViewSet.as_view({"get": "list"}), "admin-audit"),
    *both("api/admin/settings/", AdminSettingsView.as_view(), "admin-settings"),
]
websocket_urlpatterns: list = []
