"""access dialect: service information, health, metrics and documentation routes."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from custos.api.routing import both
from custos.ops.api.views import AccessHealthView, RootView
from custos.ops.metrics import metrics_view

urlpatterns = [
    path("", RootView.as_view(), name="root"),
    *both("health/", AccessHealthView.as_view(), "health"),
    *both("metrics", metrics_view, "metrics"),
    *both("api/schema/", SpectacularAPIView.as_view(), "schema"),
    *both("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), "docs"),
    *both("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), "redoc"),
]
websocket_urlpatterns: list = []
