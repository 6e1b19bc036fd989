from django.contrib import admin

from custos.jobs.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Read-only: jobs change through their services and workers (audited), not by hand."""

    list_display = ("id", "job_type", "status", "owner", "organization", "created_at", "duration_seconds", "retries")
    list_filter = ("status", "job_type")
    search_fields = ("id", "job_type", "error")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
