"""sqal dialect: the report area (``/api/reports/``, ``/api/reports/scheduled/``, ``/api/reports/templates/``).

``scheduled`` and ``templates`` are registered first: ``/api/reports/{report_id}`` would otherwise take them.
"""

from custos.api.routing import DialectRouter
from custos.reports.api.views import ReportTemplateViewSet, ReportViewSet, ScheduledReportViewSet

router = DialectRouter()
router.register("api/reports/scheduled", ScheduledReportViewSet, basename="sqal-report-schedule")
router.register("api/reports/templates", ReportTemplateViewSet, basename="sqal-report-template")
router.register("api/reports", ReportViewSet, basename="sqal-report")

urlpatterns = router.urls
websocket_urlpatterns: list = []
