from django.contrib import admin

from custos.alerts.models import Alert


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("created_at", "organization", "source", "alert_type", "severity", "status")
    list_filter = ("source", "severity", "status")
    search_fields = ("message", "alert_type", "subject_id")
