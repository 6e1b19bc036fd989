"""twin dialect: job routes (reports and exports run as jobs; files downloadable by their owner)."""

from django.urls import path

from custos.api.routing import both
from custos.jobs.api.twin_views import (
    ExportDataView,
    ExportFileView,
    ReportFileView,
    StartReportView,
    TaskStatusView,
)

urlpatterns = [
    *both("api/tasks/start_report", StartReportView.as_view(), name="twin-tasks-start-report"),
    *both("api/tasks/status/<str:task_id>", TaskStatusView.as_view(), name="twin-tasks-status"),
    *both("api/export_data", ExportDataView.as_view(), name="twin-export-data"),
    path("reports/<str:filename>", ReportFileView.as_view(), name="twin-report-file"),
    path("exports/<str:filename>", ExportFileView.as_view(), name="twin-export-file"),
]
websocket_urlpatterns: list = []
