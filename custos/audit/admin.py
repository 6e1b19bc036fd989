from django.contrib import admin

from custos.audit.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("sequence", "timestamp", "actor_label", "action", "resource_type", "resource_id", "success")
    list_filter = ("action", "resource_type", "success")
    search_fields = ("actor_label", "resource_name", "resource_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
