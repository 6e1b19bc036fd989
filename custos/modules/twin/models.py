"""Stored results of the twin analytics: one health record per device per scoring run (the history
the dashboard's ``performanceData`` is drawn from)."""

from __future__ import annotations

from django.db import models

from custos.devices.models import Device
from custos.kernel.models import OrgOwnedModel


class HealthRecord(OrgOwnedModel):
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    computed_at = models.DateTimeField()
    health_score = models.FloatField()
    efficiency_score = models.FloatField()
    status = models.CharField(max_length=10)  # excellent | good | warning | critical | failure
    components = models.JSONField(default=dict)
    figures = models.JSONField(default=dict)  # baseline, readings, trend, failures, maintenance age

    audit_entity = "HealthRecord"

    class Meta(OrgOwnedModel.Meta):
        ordering = ("-computed_at",)
        indexes = [
            models.Index(fields=("organization", "computed_at"), name="twin_health_org_at"),
            models.Index(fields=("device", "computed_at"), name="twin_health_device_at"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.health_score:.2f}@{self.computed_at:%Y-%m-%dT%H:%M}"
