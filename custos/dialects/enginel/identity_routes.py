"""enginel dialect: authentication and account routes (identity).

``/api/auth/login/``, ``refresh/`` and ``logout/`` are served by the shared views registered in the
twin table (matched first); the rest are enginel's own.
"""

from custos.api.routing import DialectRouter, both
from custos.identity.api import enginel as views

router = DialectRouter()
router.register("api/auth/sessions", views.SessionViewSet, basename="enginel-auth-session")
router.register("api/auth/api-keys", views.ApiKeyViewSet, basename="enginel-auth-api-key")

urlpatterns = [
    *both("api/auth/verify/", views.VerifyView.as_view(), name="enginel-auth-verify"),
    *router.urls,
]
websocket_urlpatterns: list = []
