"""The three presentations of the one audit table."""

from __future__ import annotations

from rest_framework import serializers

from custos.api.serializers import FieldSelectionMixin
from custos.audit.models import AuditLog


class ActivityLogSerializer(serializers.ModelSerializer):
    """pipeline ``/api/activity-logs/``."""

    user = serializers.SerializerMethodField()
    user_email = serializers.CharField(source="actor_label")
    created_at = serializers.DateTimeField(source="timestamp")
    organization = serializers.UUIDField(source="organization_id", allow_null=True)
    description = serializers.SerializerMethodField()

    class Meta:
        model = AuditLog
        fields = (
            "id",
            "user",
            "user_email",
            "action",
            "resource_type",
            "resource_id",
            "resource_name",
            "description",
            "changes",
            "ip_address",
            "user_agent",
            "success",
            "error_message",
            "organization",
            "created_at",
        )
        read_only_fields = fields

    def get_user(self, obj: AuditLog) -> str | None:
        return obj.actor_id if obj.actor_type == "user" and obj.actor_id else None

    def get_description(self, obj: AuditLog) -> str:
        who = obj.actor_label or obj.actor_type
        what = obj.resource_name or obj.resource_id
        return f"{who} {obj.action.lower()} {obj.resource_type} {what}".strip()


class AuditLogSerializer(FieldSelectionMixin, serializers.ModelSerializer):
    """enginel ``/api/audit-logs/`` and sqal ``/api/admin/audit/`` (camelCased by the sqal renderer)."""

    actor_username = serializers.CharField(source="actor_label")
    action_display = serializers.SerializerMethodField()

    class Meta:
        model = AuditLog
        fields = (
            "id",
            "sequence",
            "organization_id",
            "actor_type",
            "actor_id",
            "actor_username",
            "action",
            "action_display",
            "resource_type",
            "resource_id",
            "resource_name",
            "ip_address",
            "user_agent",
            "request_id",
            "changes",
            "success",
            "error_message",
            "timestamp",
            "previous_hash",
            "hash",
        )
        read_only_fields = fields

    def get_action_display(self, obj: AuditLog) -> str:
        return obj.action.replace("_", " ").capitalize()


class AuditExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=("csv", "json", "pdf"), default="csv")
