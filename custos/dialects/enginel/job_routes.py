"""enginel dialect: job routes (``/api/analysis-jobs/``)."""

from custos.api.routing import DialectRouter
from custos.jobs.api.views import AnalysisJobViewSet

router = DialectRouter()
router.register("api/analysis-jobs", AnalysisJobViewSet, basename="enginel-analysis-jobs")

urlpatterns = router.urls
websocket_urlpatterns: list = []
