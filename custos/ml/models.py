"""The model registry, datasets and recorded predictions.

A *task* names what a model does (``twin.anomaly``, ``twin.failure``, ``sqal.grade`` ...); a *scope*
narrows it (a device type, a product line; ``""`` for the whole organization). Versions count up per
(organization, task, scope); at most one version is active per (organization, task, scope), enforced by a
partial unique constraint.

A model version is either registered trained (``model_register``: the twin's periodic training), or
declared first (``draft``) and trained by a Job (``training`` then ``ready`` or ``failed``).

Datasets and predictions point at the rows of a domain module without a foreign key (``subject_id``),
like the shared alert table: the core never imports a module.
"""

from __future__ import annotations

from django.db import models

from custos.kernel.models import OrgOwnedModel


class ModelStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    TRAINING = "training", "Training"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    RETIRED = "retired", "Retired"


TRAINED_STATUSES = frozenset({ModelStatus.READY, ModelStatus.RETIRED})


class LabelSource(models.TextChoices):
    SERVER_GRADE = "server_grade", "Server grade"
    OPERATOR = "operator", "Operator labels"


class Dataset(OrgOwnedModel):
    """A fixed set of domain rows (``source``: which kind) with one label each (``DatasetItem``)."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    task = models.CharField(max_length=64)
    source = models.CharField(max_length=64)
    label_source = models.CharField(max_length=16, choices=LabelSource.choices, default=LabelSource.SERVER_GRADE)
    filters = models.JSONField(default=dict, blank=True)
    size = models.PositiveIntegerField(default=0)
    class_counts = models.JSONField(default=dict, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)

    audit_entity = "Dataset"
    event_topic = "ml_dataset"

    class Meta(OrgOwnedModel.Meta):
        indexes = [models.Index(fields=("organization", "task"), name="ml_dataset_org_task")]

    def __str__(self) -> str:
        return f"{self.name} ({self.size} rows)"


class DatasetItem(models.Model):
    """One member of a dataset: the domain row's id and its label."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="items")
    subject_id = models.UUIDField()
    label = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("dataset", "subject_id"), name="uniq_ml_dataset_item")]

    def __str__(self) -> str:
        return f"{self.subject_id}: {self.label}"


class MLModel(OrgOwnedModel):
    task = models.CharField(max_length=64)
    scope = models.CharField(max_length=128, blank=True, default="")
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=200, blank=True, default="")
    description = models.TextField(blank=True, default="")
    algorithm = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=ModelStatus.choices, default=ModelStatus.READY)
    is_active = models.BooleanField(default=False)
    metrics = models.JSONField(default=dict, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    features = models.JSONField(default=list, blank=True)
    samples = models.PositiveIntegerField(default=0)
    trained_from = models.DateTimeField(null=True, blank=True)
    trained_to = models.DateTimeField(null=True, blank=True)
    trained_at = models.DateTimeField(null=True, blank=True)
    dataset = models.ForeignKey(Dataset, on_delete=models.SET_NULL, null=True, blank=True, related_name="models")
    artifact = models.FileField(upload_to="ml/models/", max_length=255, blank=True)
    error = models.TextField(blank=True, default="")
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


class Prediction(OrgOwnedModel):
    """One answer of a model, kept for ``/api/ai/metrics/``: what was asked, what the model said, and the
    reference label known at the time (the server's grade), if any."""

    model = models.ForeignKey(MLModel, on_delete=models.SET_NULL, null=True, blank=True, related_name="predictions")
    task = models.CharField(max_length=64)
    model_version = models.PositiveIntegerField(null=True, blank=True)
    input_source = models.CharField(max_length=16)  # "sample" (a stored row) or "frame" (measurements sent)
    subject_type = models.CharField(max_length=64, blank=True, default="")
    subject_id = models.CharField(max_length=64, blank=True, default="")
    label = models.CharField(max_length=64)
    confidence = models.FloatField(null=True, blank=True)
    probabilities = models.JSONField(default=dict, blank=True)
    reference_label = models.CharField(max_length=64, blank=True, default="")
    features = models.JSONField(default=dict, blank=True)

    audit_entity = "Prediction"
    event_topic = "ml_prediction"

    class Meta(OrgOwnedModel.Meta):
        indexes = [models.Index(fields=("organization", "task", "created_at"), name="ml_prediction_org_task")]

    def __str__(self) -> str:
        return f"{self.task}: {self.label}"
