"""The model registry: one row per trained model version, its artifact in the default storage.

A *task* names what a model does (``twin.anomaly``, ``twin.failure``, ``sqal.quality`` ...); a *scope*
narrows it (a device type, a product line; ``""`` for the whole organization). Versions count up per
(organization, task, scope); at most one version is active per (organization, task, scope), enforced by a
partial unique constraint.
"""

from __future__ import annotations

from django.db import models

from custos.kernel.models import OrgOwnedModel


class ModelStatus(models.TextChoices):
    READY = "ready", "Ready"
    RETIRED = "retired", "Retired"


class MLModel(OrgOwnedModel):
    task = models.CharField(max_length=64)
    scope = models.CharField(max_length=128, blank=True, default="")
    version = models.PositiveIntegerField()
    algorithm = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=ModelStatus.choices, default=ModelStatus.READY)
    is_active = models.BooleanField(default=False)
    metrics = models.JSONField(default=dict, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    features = models.JSONField(default=list, blank=True)
    samples = models.PositiveIntegerField(default=0)
    trained_from = models.DateTimeField(null=True, blank=True)
    trained_to = models.DateTimeField(null=True, blank=True)
    artifact = models.FileField(upload_to="ml/models/", max_length=255)
    job_id = models.CharField(max_length=64, blank=True, default="")  # the training Job's task_id, if any

    audit_entity = "MLModel"
    event_topic = "ml_model"

    class Meta(OrgOwnedModel.Meta):
        ordering = ("task", "scope", "-version")
        constraints = [
            models.UniqueConstraint(fields=("organization", "task", "scope", "version"), name="uniq_ml_model_version"),
            models.UniqueConstraint(
                fields=("organization", "task", "scope"),
                condition=models.Q(is_active=True),
                name="uniq_active_ml_model",
            ),
        ]

    def __str__(self) -> str:
        scope = f"[{self.scope}]" if self.scope else ""
        return f"{self.task}{scope} v{self.version} ({self.algorithm})"
