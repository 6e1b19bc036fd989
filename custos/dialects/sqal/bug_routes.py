"""sqal dialect: the bug area (``/api/bugs/``, ``/api/bugs/{bug_id}``, ``/api/bugs/{bug_id}/comments/``,
``/api/bugs/metrics/summary/``; the list actions are routed before ``{bug_id}``)."""

from custos.api.routing import DialectRouter
from custos.modules.bugs.api.views import BugViewSet

router = DialectRouter()
router.register("api/bugs", BugViewSet, basename="sqal-bugs")

urlpatterns = router.urls
websocket_urlpatterns: list = []
