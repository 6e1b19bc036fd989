"""Bug reports of an organization and their comments."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from custos.kernel.models import OrgOwnedModel
from custos.modules.bugs.choices import BugSeverity, BugStatus


class BugReport(OrgOwnedModel):
    """A reported defect: what happens, how bad, who works on it, and when it was resolved."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=10, choices=BugSeverity.choices, default=BugSeverity.MEDIUM)
    status = models.CharField(max_length=12, choices=BugStatus.choices, default=BugStatus.OPEN)
    category = models.CharField(max_length=100, blank=True)
    steps_to_reproduce = models.TextField(blank=True)
    expected_behavior = models.TextField(blank=True)
    actual_behavior = models.TextField(blank=True)
    environment = models.JSONField(default=dict, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta(OrgOwnedModel.Meta):
        verbose_name = "bug report"
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=("organization", "status"), name="bugs_org_status"),
            models.Index(fields=("organization", "severity"), name="bugs_org_severity"),
        ]

    def __str__(self) -> str:
        return self.title


class BugComment(OrgOwnedModel):
    """A comment on a bug report (the organization is the bug's)."""

    bug = models.ForeignKey(BugReport, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    content = models.TextField()

    class Meta(OrgOwnedModel.Meta):
        verbose_name = "bug comment"
        ordering = ("created_at",)

    def __str__(self) -> str:
        return self.content[:60]
