"""pipeline dialect: the pipeline monitoring domain's routes."""

from custos.api.routing import DialectRouter
from custos.modules.pipelines.api.views import (
    AnalysisResultViewSet,
    ConfigurationViewSet,
    DashboardViewSet,
    PipelineAlertViewSet,
    PipelineViewSet,
    SatelliteImageViewSet,
    SegmentViewSet,
)

router = DialectRouter()
router.register("api/pipelines", PipelineViewSet, basename="pipeline")
router.register("api/satellite-images", SatelliteImageViewSet, basename="satellite-image")
router.register("api/analysis-results", AnalysisResultViewSet, basename="analysis-result")
router.register("api/segments", SegmentViewSet, basename="segment")
router.register("api/configurations", ConfigurationViewSet, basename="configuration")
router.register("api/dashboard", DashboardViewSet, basename="pipeline-dashboard")

# /api/alerts/ (with the slash) is this document's; the bare /api/alerts belongs to the twin document and
# is matched first (config/urls.py), so only the slashed forms are registered here.
alerts_router = DialectRouter()
alerts_router.register("api/alerts", PipelineAlertViewSet, basename="pipeline-alert")

urlpatterns = router.urls + [pattern for pattern in alerts_router.urls if str(pattern.pattern) != "^api/alerts$"]
websocket_urlpatterns: list = []
