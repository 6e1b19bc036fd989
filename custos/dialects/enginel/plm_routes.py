"""enginel dialect: the PLM routes (``/api/series/``, ``/api/designs/``, ``/api/bom-nodes/``,
``/api/reviews/``, ``/api/markups/``) and the signed upload URL of ``upload-url/``."""

from custos.api.routing import DialectRouter, both
from custos.modules.plm.api.views import (
    AssemblyNodeViewSet,
    DesignUploadView,
    DesignViewSet,
    MarkupViewSet,
    ReviewViewSet,
    SeriesViewSet,
)

router = DialectRouter()
router.register("api/series", SeriesViewSet, basename="enginel-series")
router.register("api/designs", DesignViewSet, basename="enginel-designs")
router.register("api/bom-nodes", AssemblyNodeViewSet, basename="enginel-bom-nodes")
router.register("api/reviews", ReviewViewSet, basename="enginel-reviews")
router.register("api/markups", MarkupViewSet, basename="enginel-markups")

# The upload URL goes first: ``api/designs/uploads/<token>/`` must not be read as a design's action.
urlpatterns = [
    *both("api/designs/uploads/<str:token>/", DesignUploadView.as_view(), name="enginel-design-upload"),
    *router.urls,
]
websocket_urlpatterns: list = []
