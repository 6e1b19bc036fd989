"""pipeline dialect: the pipeline monitoring domain's routes."""

from custos.api.routing import DialectRouter
from custos.modules.pipelines.api.views import ConfigurationViewSet, PipelineViewSet, SegmentViewSet

router = DialectRouter()
router.register("api/pipelines", PipelineViewSet, basename="pipeline")
router.register("api/segments", SegmentViewSet, basename="segment")
router.register("api/configurations", ConfigurationViewSet, basename="configuration")

urlpatterns = router.urls
websocket_urlpatterns: list = []
