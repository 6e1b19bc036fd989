"""Routes of the operator console, under ``/console/`` (``config/urls.py``)."""

from django.urls import path
from django.views.generic import RedirectView

from custos.console.views import admin, auth, domains, twin

app_name = "console"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:fleet"), name="home"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("organization/", auth.switch_organization, name="switch-organization"),
    path("admin/audit/", admin.audit_log, name="audit"),
    path("admin/jobs/", admin.job_list, name="jobs"),
    path("admin/jobs/<str:job_id>/row/", admin.job_row, name="job-row"),
    path("admin/jobs/<str:job_id>/cancel/", admin.job_cancel, name="job-cancel"),
    path("admin/members/", admin.members, name="members"),
    path("twin/", twin.fleet, name="fleet"),
    path("twin/alarms/", twin.alarms_panel, name="alarms"),
    path("twin/alarms/<str:alert_id>/acknowledge/", twin.acknowledge, name="alarm-acknowledge"),
    path("twin/devices/<str:device_id>/", twin.device_detail, name="device"),
    path("quality/", domains.quality_page, name="quality"),
    path("designs/", domains.design_list, name="designs"),
    path("designs/<str:design_id>/", domains.design_detail, name="design"),
    path("pipelines/", domains.pipelines_page, name="pipelines"),
]
