from django.contrib import admin

from custos.ops.models import ErrorEvent, SystemSettings


@admin.register(SystemSettings)
class SystemSettingsAdmin(admin.ModelAdmin):
    list_display = ("site_name", "failed_login_lockout", "api_rate_limit", "max_file_size_mb", "updated_at")

    def has_add_permission(self, request):
        return not SystemSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ErrorEvent)
class ErrorEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "status_code", "method", "path", "exception_type", "request_id")
    list_filter = ("status_code",)
    search_fields = ("path", "exception_type", "message", "request_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
