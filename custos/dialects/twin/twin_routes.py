"""twin dialect: the analytics of the domain module (custos.modules.twin)."""

from custos.api.routing import both
from custos.modules.twin.api import views

urlpatterns = [
    *both("api/predictions", views.PredictionsView.as_view(), name="twin-predictions"),
    *both("api/health_scores", views.HealthScoresView.as_view(), name="twin-health-scores"),
    *both("api/recommendations", views.RecommendationsView.as_view(), name="twin-recommendations"),
    *both("api/dashboard", views.DashboardView.as_view(), name="twin-dashboard"),
    *both("api/devices/<str:device_id>/events", views.DeviceEventsView.as_view(), name="twin-device-events"),
    *both("api/models", views.ModelsView.as_view(), name="twin-models"),
]
websocket_urlpatterns: list = []
