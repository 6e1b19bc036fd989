"""access dialect: authentication and account routes (identity)."""

from custos.api.routing import DialectRouter, both
from custos.identity.api import access as views

router = DialectRouter()
router.register("api/access/users", views.UserViewSet, basename="access-user")
router.register("api/access/logged-devices", views.LoggedDeviceViewSet, basename="access-logged-device")
router.register("api/access/pre-register", views.PreRegistrationViewSet, basename="access-pre-register")

urlpatterns = [
    *both("api/access/auth/login/", views.LoginView.as_view(), name="access-auth-login"),
    *both("api/access/auth/refresh/", views.RefreshView.as_view(), name="access-auth-refresh"),
    *both("api/access/auth/logout/", views.LogoutView.as_view(), name="access-auth-logout"),
    *both(
        "api/access/reset-password-control/",
        views.ResetPasswordRequestView.as_view(),
        name="access-reset-password",
    ),
    *both(
        "api/access/reset-password-control/confirm/",
        views.ResetPasswordConfirmView.as_view(),
        name="access-reset-password-confirm",
    ),
    *both(
        "api/access/email-confirmation-control/",
        views.EmailConfirmationRequestView.as_view(),
        name="access-email-confirmation",
    ),
    *both(
        "api/access/email-confirmation-control/confirm/",
        views.EmailConfirmView.as_view(),
        name="access-email-confirmation-confirm",
    ),
    *router.urls,
]
websocket_urlpatterns: list = []
