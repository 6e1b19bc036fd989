"""sqal dialect: the ai area (``/api/ai/*``: docs/sqal-ai.md)."""

from custos.api.routing import DialectRouter
from custos.modules.quality.ai.views import AIModelViewSet, AIViewSet, DatasetViewSet, TrainingViewSet

router = DialectRouter()
router.register("api/ai/models", AIModelViewSet, basename="sqal-ai-models")
router.register("api/ai/training", TrainingViewSet, basename="sqal-ai-training")
router.register("api/ai/datasets", DatasetViewSet, basename="sqal-ai-datasets")
router.register("api/ai", AIViewSet, basename="sqal-ai")

urlpatterns = router.urls
websocket_urlpatterns: list = []
