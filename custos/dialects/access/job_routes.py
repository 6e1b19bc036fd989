"""access dialect: job routes (``/tasks/``)."""

from custos.api.routing import both
from custos.jobs.api.views import TaskCreateView, TaskDetailView

urlpatterns = [
    *both("tasks/", TaskCreateView.as_view(), name="access-tasks"),
    *both("tasks/<str:task_id>/", TaskDetailView.as_view(), name="access-task-detail"),
]
websocket_urlpatterns: list = []
