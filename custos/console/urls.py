"""Routes of the operator console, under ``/console/`` (``config/urls.py``)."""

from django.urls import path
from django.views.generic import RedirectView

from custos.console.views import admin, auth, designs, live, pipelines, quality, twin

app_name = "console"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:fleet"), name="home"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("organization/", auth.switch_organization, name="switch-organization"),
    path("admin/audit/", admin.audit_log, name="audit"),
    path("admin/audit/export.csv", admin.audit_export, name="audit-export"),
    path("admin/api-keys/", admin.api_keys, name="api-keys"),
    path("admin/api-keys/<str:key_id>/revoke/", admin.api_key_revoke_view, name="api-key-revoke"),
    path("admin/jobs/", admin.job_list, name="jobs"),
    path("admin/jobs/<str:job_id>/row/", admin.job_row, name="job-row"),
    path("admin/jobs/<str:job_id>/cancel/", admin.job_cancel, name="job-cancel"),
    path("admin/jobs/<str:job_id>/progress/", admin.job_progress, name="job-progress"),
    path("admin/members/", admin.members, name="members"),
    path("admin/members/invite/", admin.member_invite, name="member-invite"),
    path("admin/settings/", admin.settings_page, name="settings"),
    path("admin/settings/organization/", admin.settings_organization, name="settings-organization"),
    path("admin/settings/system/", admin.settings_system, name="settings-system"),
    path("live/token/", live.live_token, name="live-token"),
    path("twin/", twin.fleet, name="fleet"),
    path("twin/grid/", twin.fleet_grid, name="fleet-grid"),
    path("twin/alarms/", twin.alarms_panel, name="alarms"),
    path("twin/alarms/<str:alert_id>/acknowledge/", twin.acknowledge, name="alarm-acknowledge"),
    path("twin/devices/<str:device_id>/", twin.device_detail, name="device"),
    path("quality/", quality.quality_page, name="quality"),
    path("quality/rows/", quality.quality_rows, name="quality-rows"),
    path("designs/", designs.design_list, name="designs"),
    path("designs/series/<str:series_id>/upload/", designs.design_upload, name="design-upload"),
    path("designs/<str:design_id>/", designs.design_detail, name="design"),
    path("designs/<str:design_id>/preview.glb", designs.design_preview, name="design-preview"),
    path("designs/<str:design_id>/markups/", designs.markup_add, name="design-markup-add"),
    path(
        "designs/<str:design_id>/reviews/<str:review_id>/approve/",
        designs.review_decide,
        {"verdict": "approve"},
        name="design-review-approve",
    ),
    path(
        "designs/<str:design_id>/reviews/<str:review_id>/reject/",
        designs.review_decide,
        {"verdict": "reject"},
        name="design-review-reject",
    ),
    path("pipelines/", pipelines.pipelines_page, name="pipelines"),
    path("pipelines/alerts/", pipelines.alerts_panel, name="pipeline-alerts"),
    path("pipelines/alerts/<str:alert_id>/resolve/", pipelines.alert_resolve, name="pipeline-alert-resolve"),
    path(
        "pipelines/findings/<str:result_id>/verify/",
        pipelines.finding_review,
        {"verdict": "verify"},
        name="finding-verify",
    ),
    path(
        "pipelines/findings/<str:result_id>/false-positive/",
        pipelines.finding_review,
        {"verdict": "false-positive"},
        name="finding-false-positive",
    ),
]
