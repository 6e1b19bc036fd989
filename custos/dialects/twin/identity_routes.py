"""twin dialect: authentication and account routes (identity).

``login``, ``refresh`` and ``logout`` are the views shared with enginel (``/api/auth/login/`` ...):
registered once here, in both slash forms, because this table is matched first (DESIGN.md).
"""

from custos.api.routing import both
from custos.identity.api import twin

urlpatterns = [
    *both("api/auth/login", twin.SharedLoginView.as_view(), name="auth-login"),
    *both("api/auth/refresh", twin.SharedRefreshView.as_view(), name="auth-refresh"),
    *both("api/auth/logout", twin.SharedLogoutView.as_view(), name="auth-logout"),
    *both("api/auth/register", twin.TwinRegisterView.as_view(), name="twin-auth-register"),
    *both("api/auth/me", twin.TwinMeView.as_view(), name="twin-auth-me"),
]
websocket_urlpatterns: list = []
