"""enginel dialect: organizations, audit logs and monitoring routes.

``/api/organizations/`` is also the sqal document's route: one viewset serves both (the sqal envelope
when ``skip``/``limit`` is given or an item is addressed as ``{org_id}`` without a trailing slash).
``/api/organizations/invitations/`` (joining by invitation) is enginel's.
"""

from custos.api.routing import DialectRouter, both
from custos.audit.api.views import AuditLogViewSet
from custos.ops.api.monitoring import MonitoringDashboardView, MonitoringErrorsView, MonitoringPerformanceView
from custos.orgs.api.invitations import InvitationViewSet
from custos.orgs.api.views import OrganizationViewSet

router = DialectRouter()
# Before the organizations: ``invitations`` would otherwise be read as an organization id.
router.register(r"api/organizations/invitations", InvitationViewSet, basename="invitation")
router.register(r"api/organizations", OrganizationViewSet, basename="organization")
router.register(r"api/audit-logs", AuditLogViewSet, basename="audit-log")

urlpatterns = [
    *both("api/monitoring/dashboard/", MonitoringDashboardView.as_view(), "monitoring-dashboard"),
    *both("api/monitoring/errors/", MonitoringErrorsView.as_view(), "monitoring-errors"),
    *both("api/monitoring/performance/", MonitoringPerformanceView.as_view(), "monitoring-performance"),
    *router.urls,
]
websocket_urlpatterns: list = []
