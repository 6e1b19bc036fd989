"""pipeline dialect: documentation routes."""

from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerView

from custos.api.routing import both

urlpatterns = [
    *both("swagger/", SpectacularSwaggerView.as_view(url_name="schema"), "swagger"),
    *both("redoc/", SpectacularRedocView.as_view(url_name="schema"), "pipeline-redoc"),
    *both("swagger.json", SpectacularJSONAPIView.as_view(), "swagger-json"),
]
websocket_urlpatterns: list = []
