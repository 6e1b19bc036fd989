"""pipeline dialect: authentication and account routes (identity), djoser's paths and shapes."""

from custos.api.routing import both
from custos.identity.api import pipeline as views

urlpatterns = [
    *both("api/auth/users/", views.UserCreateView.as_view(), name="pipeline-user-create"),
    *both("api/auth/users/me/", views.MeView.as_view(), name="pipeline-user-me"),
    *both("api/auth/users/activation/", views.ActivationView.as_view(), name="pipeline-user-activation"),
    *both(
        "api/auth/users/resend_activation/",
        views.ResendActivationView.as_view(),
        name="pipeline-user-resend-activation",
    ),
    *both("api/auth/users/reset_password/", views.ResetPasswordView.as_view(), name="pipeline-reset-password"),
    *both(
        "api/auth/users/reset_password_confirm/",
        views.ResetPasswordConfirmView.as_view(),
        name="pipeline-reset-password-confirm",
    ),
    *both("api/auth/users/set_password/", views.SetPasswordView.as_view(), name="pipeline-set-password"),
    *both("api/auth/jwt/create/", views.JwtCreateView.as_view(), name="pipeline-jwt-create"),
    *both("api/auth/jwt/refresh/", views.JwtRefreshView.as_view(), name="pipeline-jwt-refresh"),
    *both("api/auth/jwt/verify/", views.JwtVerifyView.as_view(), name="pipeline-jwt-verify"),
    *both("api/auth/jwt/logout/", views.JwtLogoutView.as_view(), name="pipeline-jwt-logout"),
]
websocket_urlpatterns: list = []
