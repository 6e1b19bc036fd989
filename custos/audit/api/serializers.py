"""The three presentations of the one audit table.

Rows store one vocabulary (``CREATE`` / ``SatelliteImage``; older rows ``job.create`` / ``job``); each
presenter shows it as its document does (``custos.audit.vocabulary.present``): pipeline lower case and
snake case (``create`` / ``satellite_image``), enginel and sqal as stored (``CREATE`` / ``DesignAsset``)
with ``action_display`` (``Create``).
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import cached_property
from rest_framework import serializers

from custos.api.serializers import FieldSelectionMixin
from custos.audit.models import AuditLog
from custos.audit.vocabulary import action_display, present


def _presented(serializer: object, obj: AuditLog, dialect: str) -> tuple[str, str]:
    """(action, resource_type) of ``obj`` in ``dialect``: computed once per stored pair and serializer
    (a page holds few distinct pairs)."""
    cache: dict[Any, tuple[str, str]] = serializer.__dict__.setdefault("_presented_pairs", {})
    key = (dialect, obj.action, obj.resource_type)
    if key not in cache:
        cache[key] = present(dialect, action=obj.action, resource_type=obj.resource_type)
    return cache[key]


class PresentedVocabularyMixin:
    """``action`` and ``resource_type`` in the dialect's spelling: the view's dialect, else the
    serializer's own (``dialect``)."""

    dialect = "enginel"

    @cached_property
    def presented_dialect(self) -> str:
        view = getattr(self, "context", {}).get("view")
        return getattr(view, "dialect", None) or self.dialect

    def get_action(self, obj: AuditLog) -> str:
        return _presented(self, obj, self.presented_dialect)[0]

    def get_resource_type(self, obj: AuditLog) -> str:
        return _presented(self, obj, self.presented_dialect)[1]


class ActivityLogSerializer(PresentedVocabularyMixin, serializers.ModelSerializer):
    """pipeline ``/api/activity-logs/``: ``action`` lower case (``create``, ``login``), ``resource_type``
    snake case (``pipeline``, ``satellite_image``)."""

    dialect = "pipeline"
    action = serializers.SerializerMethodField(help_text="The verb in lower case: create, update, delete, login…")
    resource_type = serializers.SerializerMethodField(
        help_text="The entity in snake case: pipeline, satellite_image, analysis_result, alert, user…"
    )
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
        action, resource_type = _presented(self, obj, self.presented_dialect)
        return f"{who} {action} {resource_type} {what}".strip()


class AuditLogSerializer(PresentedVocabularyMixin, FieldSelectionMixin, serializers.ModelSerializer):
    """enginel ``/api/audit-logs/`` and sqal ``/api/admin/audit/`` (camelCased by the sqal renderer):
    ``action`` upper case (``CREATE``, ``LOGIN_FAILED``), ``resource_type`` the entity (``DesignAsset``),
    ``action_display`` the verb for people (``Login failed``)."""

    dialect = "enginel"
    actor_username = serializers.CharField(source="actor_label")
    action = serializers.SerializerMethodField(help_text="The verb in upper case: CREATE, UPDATE, LOGIN_FAILED…")
    action_display = serializers.SerializerMethodField(help_text="The verb for people: Create, Login failed…")
    resource_type = serializers.SerializerMethodField(help_text="The entity: DesignAsset, Pipeline, User…")

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
        shown: dict[str, str] = self.__dict__.setdefault("_action_displays", {})
        if obj.action not in shown:
            shown[obj.action] = action_display(obj.action)
        return shown[obj.action]


class AuditExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=("csv", "json", "pdf"), default="csv")
