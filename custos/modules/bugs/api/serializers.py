"""sqal shapes of bug reports and comments (keys camelCased by the sqal renderer; input accepts camelCase
and snake_case)."""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from custos.modules.bugs.choices import BugSeverity, BugStatus
from custos.modules.bugs.models import BugComment, BugReport

MAX_TEXT = 5000
MAX_ENVIRONMENT_KEYS = 50
MAX_ENVIRONMENT_BYTES = 8192
# The schema shows the status choices inline (``anyOf`` of one enum): a named ``StatusEnum`` component
# would collide with the other areas' ``status`` choice sets.
STATUS_SCHEMA = {"anyOf": [{"type": "string", "enum": list(BugStatus.values)}]}


@extend_schema_field(STATUS_SCHEMA)
class StatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=BugStatus.choices, **kwargs)


class CommentSerializer(serializers.ModelSerializer):
    bug_id = serializers.UUIDField(read_only=True)
    author_id = serializers.UUIDField(read_only=True, allow_null=True)
    author_email = serializers.EmailField(source="author.email", read_only=True, default=None, allow_null=True)

    class Meta:
        model = BugComment
        fields = ("id", "bug_id", "author_id", "author_email", "content", "created_at", "updated_at")
        read_only_fields = fields


class BugSerializer(serializers.ModelSerializer):
    """A bug of the list (with its number of comments)."""

    reported_by = serializers.UUIDField(source="reported_by_id", read_only=True, allow_null=True)
    reporter_email = serializers.EmailField(source="reported_by.email", read_only=True, default=None, allow_null=True)
    assigned_to = serializers.UUIDField(source="assigned_to_id", read_only=True, allow_null=True)
    assignee_email = serializers.EmailField(source="assigned_to.email", read_only=True, default=None, allow_null=True)
    comment_count = serializers.IntegerField(read_only=True, default=0)
    status = StatusField(read_only=True)

    class Meta:
        model = BugReport
        fields = (
            "id",
            "organization",
            "title",
            "description",
            "severity",
            "status",
            "category",
            "steps_to_reproduce",
            "expected_behavior",
            "actual_behavior",
            "environment",
            "reported_by",
            "reporter_email",
            "assigned_to",
            "assignee_email",
            "resolution",
            "resolved_at",
            "closed_at",
            "comment_count",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class BugDetailSerializer(BugSerializer):
    """One bug with its comments, oldest first."""

    comments = CommentSerializer(many=True, read_only=True)

    class Meta(BugSerializer.Meta):
        fields: tuple[str, ...] = (*BugSerializer.Meta.fields, "comments")  # type: ignore[assignment]
        read_only_fields: tuple[str, ...] = fields  # type: ignore[assignment]


def _environment(value: Any) -> dict[str, Any]:
    if len(value) > MAX_ENVIRONMENT_KEYS:
        raise serializers.ValidationError(f"At most {MAX_ENVIRONMENT_KEYS} keys.")
    for key, item in value.items():
        if len(str(key)) > 100:
            raise serializers.ValidationError("Keys of at most 100 characters.")
        if item is not None and not isinstance(item, (str, int, float, bool)):
            raise serializers.ValidationError("Values are strings, numbers, booleans or null (no nesting).")
    if len(json.dumps(value)) > MAX_ENVIRONMENT_BYTES:
        raise serializers.ValidationError(f"At most {MAX_ENVIRONMENT_BYTES} bytes of JSON.")
    return dict(value)


class BugWriteSerializer(serializers.Serializer):
    """Create (``title`` required) and update (every field optional). ``assigned_to`` (or ``assignee_id``)
    names a member of the bug's organization; ``null`` unassigns."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=BugSeverity.choices, required=False)
    status = StatusField(required=False)
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)
    steps_to_reproduce = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    expected_behavior = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    actual_behavior = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    environment = serializers.DictField(required=False)
    assigned_to = serializers.UUIDField(required=False, allow_null=True)
    assignee_id = serializers.UUIDField(required=False, allow_null=True, write_only=True, help_text="alias")
    resolution = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)

    def validate_environment(self, value: Any) -> dict[str, Any]:
        return _environment(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "assignee_id" in attrs:
            alias = attrs.pop("assignee_id")
            if "assigned_to" in attrs and attrs["assigned_to"] != alias:
                raise serializers.ValidationError({"assignee_id": ["Disagrees with assigned_to."]})
            attrs["assigned_to"] = alias
        return attrs


class CommentWriteSerializer(serializers.Serializer):
    content = serializers.CharField(max_length=MAX_TEXT)


class BugMetricsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    open = serializers.IntegerField(help_text="open + in_progress")
    by_status = serializers.DictField(
        child=serializers.IntegerField(), help_text="count per status; keys are the stored values (in_progress ...)"
    )
    by_severity = serializers.DictField(child=serializers.IntegerField(), help_text="count per severity")
    resolved_count = serializers.IntegerField(help_text="bugs with resolved_at set (resolved, or resolved then closed)")
    mean_resolution_hours = serializers.FloatField(allow_null=True)
    median_resolution_hours = serializers.FloatField(allow_null=True)
    mean_resolution_seconds = serializers.FloatField(allow_null=True)
    median_resolution_seconds = serializers.FloatField(allow_null=True)


def enveloped(inner: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The schema of the sqal single-object envelope ``{data, message}`` around ``inner``."""
    fields = {"data": inner(read_only=True), "message": serializers.CharField(read_only=True)}
    return type(name, (serializers.Serializer,), fields)


BugEnvelope = enveloped(BugSerializer, "BugEnvelope")
BugDetailEnvelope = enveloped(BugDetailSerializer, "BugDetailEnvelope")
CommentEnvelope = enveloped(CommentSerializer, "CommentEnvelope")
BugMetricsEnvelope = enveloped(BugMetricsSerializer, "BugMetricsEnvelope")
