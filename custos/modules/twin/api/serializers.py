"""Documented shapes of the analytics answers (output only; the answers are built by the services)."""

from __future__ import annotations

from rest_framework import serializers


class RecommendationOutput(serializers.Serializer):
    type = serializers.CharField()  # type: ignore[assignment]  # the document's field name
    priority_level = serializers.CharField()
    title = serializers.CharField()
    action = serializers.CharField()
    urgency = serializers.FloatField()
    impact = serializers.FloatField()
    feasibility = serializers.FloatField()
    cost = serializers.FloatField()
    risk_reduction = serializers.FloatField()
    composite_score = serializers.FloatField()
    timeframe = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # the document's field name
    device_id = serializers.CharField()


class ModelOutput(serializers.Serializer):
    id = serializers.CharField()
    task = serializers.CharField()
    scope = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    algorithm = serializers.CharField()
    trained_on = serializers.DictField()
    metrics = serializers.DictField()
    is_active = serializers.BooleanField()


class TrainOutput(serializers.Serializer):
    task_id = serializers.CharField()
    status = serializers.CharField()


class EventOutput(serializers.Serializer):
    id = serializers.CharField()
    device_id = serializers.CharField()
    timestamp = serializers.DateTimeField()
    type = serializers.CharField()  # type: ignore[assignment]  # the document's field name
    notes = serializers.CharField(allow_blank=True)
