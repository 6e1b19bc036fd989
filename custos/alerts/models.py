"""One alert table for every domain (pipeline monitoring alerts, twin device alerts, quality alerts).

A domain raises an alert about one of its objects (``subject_type``/``subject_id``, e.g. a pipeline
analysis result or a device); the lifecycle is the same everywhere: open -> acknowledged -> resolved.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from custos.alerts.choices import AlertStatus, Severity
from custos.kernel.models import OrgOwnedModel


class Alert(OrgOwnedModel):
    source = models.CharField(max_length=32, db_index=True)  # the raising domain: pipeline, twin, quality ...
    alert_type = models.CharField(max_length=64, db_index=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM, db_index=True)
    title = models.CharField(max_length=200, blank=True)
    message = models.TextField()
    status = models.CharField(max_length=14, choices=AlertStatus.choices, default=AlertStatus.OPEN, db_index=True)
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.CharField(max_length=64, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)
    recipients = models.JSONField(default=list, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_notes = models.TextField(blank=True)

    class Meta(OrgOwnedModel.Meta):
        indexes = [models.Index(fields=("organization", "source", "status"))]

    def __str__(self) -> str:
        return f"{self.source}/{self.alert_type} ({self.severity}, {self.status})"

    @property
    def is_resolved(self) -> bool:
        return self.status == AlertStatus.RESOLVED
