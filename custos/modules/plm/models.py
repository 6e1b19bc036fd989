"""Designs and what hangs off them: series (part numbers), design versions (a CAD file and what its
processing found), the bill of materials, reviews with each reviewer's decision, and markups."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from custos.kernel.models import OrgOwnedModel
from custos.modules.plm.choices import (
    Classification,
    Decision,
    DesignStatus,
    FileFormat,
    MarkupStatus,
    ReviewStatus,
    Severity,
)


class DesignSeries(OrgOwnedModel):
    """A part number and the family of its design versions."""

    part_number = models.CharField(max_length=100)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=100, blank=True)
    classification = models.CharField(
        max_length=20, choices=Classification.choices, default=Classification.UNCLASSIFIED
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta(OrgOwnedModel.Meta):
        verbose_name = "design series"
        verbose_name_plural = "design series"
        ordering = ("part_number",)
        constraints = [
            models.UniqueConstraint(fields=("organization", "part_number"), name="plm_series_part_number_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.part_number} {self.name}"


def design_upload_to(instance: Any, filename: str) -> str:
    return f"plm/designs/{instance.organization_id}/{instance.pk}/{filename}"


def design_preview_to(instance: Any, filename: str) -> str:
    return f"plm/previews/{instance.organization_id}/{instance.pk}/{filename}"


class DesignAsset(OrgOwnedModel):
    """One version of a series: the CAD file, its export control and what processing measured (mm)."""

    event_topic = "design_asset"

    series = models.ForeignKey(DesignSeries, on_delete=models.PROTECT, related_name="designs")
    version_number = models.PositiveIntegerField()
    filename = models.CharField(max_length=255)
    file = models.FileField(upload_to=design_upload_to, max_length=500, blank=True)
    file_format = models.CharField(max_length=8, choices=FileFormat.choices)
    file_size_bytes = models.BigIntegerField(default=0)
    declared_size_bytes = models.BigIntegerField(null=True, blank=True)  # upload-url's file_size
    file_hash = models.CharField(max_length=71, blank=True)  # "sha256:<hex>"
    revision = models.CharField(max_length=50, blank=True)
    units = models.CharField(max_length=20, blank=True)  # the file's own length unit (or declared for meshes)
    status = models.CharField(max_length=20, choices=DesignStatus.choices, default=DesignStatus.UPLOADING)
    status_reason = models.CharField(max_length=100, blank=True)
    classification = models.CharField(
        max_length=20, choices=Classification.choices, default=Classification.UNCLASSIFIED
    )
    itar_controlled = models.BooleanField(default=False)
    material = models.CharField(max_length=100, blank=True)
    # geometry (millimetres)
    is_valid_geometry = models.BooleanField(null=True)
    validation_errors = models.JSONField(default=list, blank=True)
    validation_warnings = models.JSONField(default=list, blank=True)
    bounding_box = models.JSONField(null=True, blank=True)
    volume_cubic_mm = models.FloatField(null=True, blank=True)
    surface_area_sq_mm = models.FloatField(null=True, blank=True)
    center_of_mass = models.JSONField(null=True, blank=True)
    topology = models.JSONField(default=dict, blank=True)
    mesh = models.JSONField(default=dict, blank=True)
    mass_kg = models.FloatField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # the web preview: a GLB of the tessellated shape in mm (cad.preview) and how it was made
    preview = models.FileField(upload_to=design_preview_to, max_length=500, blank=True)
    preview_info = models.JSONField(default=dict, blank=True)
    processing_job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta(OrgOwnedModel.Meta):
        verbose_name = "design"
        constraints = [models.UniqueConstraint(fields=("series", "version_number"), name="plm_design_version")]

    def __str__(self) -> str:
        return f"{self.filename} v{self.version_number}"


class AssemblyNode(OrgOwnedModel):
    """A line of a design's bill of materials: a materialised path (4 characters a level) and its depth."""

    STEP_LENGTH = 4

    design_asset = models.ForeignKey(DesignAsset, on_delete=models.CASCADE, related_name="bom_nodes")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    path = models.CharField(max_length=255)
    depth = models.PositiveIntegerField()
    part_name = models.CharField(max_length=255)
    part_number = models.CharField(max_length=100, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    unit_of_measure = models.CharField(max_length=10, default="EA")
    reference_designator = models.CharField(max_length=255, blank=True)
    notes = models.TextField(blank=True)
    is_assembly = models.BooleanField(default=False)
    mass_kg = models.FloatField(null=True, blank=True)  # of one unit
    volume_cubic_mm = models.FloatField(null=True, blank=True)  # of one unit

    class Meta(OrgOwnedModel.Meta):
        verbose_name = "BOM node"
        ordering = ("design_asset", "path")
        constraints = [models.UniqueConstraint(fields=("design_asset", "path"), name="plm_bom_path")]

    def __str__(self) -> str:
        return self.part_name


class ReviewSession(OrgOwnedModel):
    design_asset = models.ForeignKey(DesignAsset, on_delete=models.CASCADE, related_name="reviews")
    reviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, through="ReviewDecision", related_name="+")
    status = models.CharField(max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.IN_PROGRESS)
    outcome = models.CharField(max_length=20, choices=Decision.choices, default=Decision.PENDING)
    due_date = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta(OrgOwnedModel.Meta):
        verbose_name = "review session"

    def __str__(self) -> str:
        return f"Review of {self.design_asset_id}"


class ReviewDecision(models.Model):
    """One reviewer of a review session and what they decided."""

    review = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="decisions")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(max_length=20, choices=Decision.choices, default=Decision.PENDING)
    comments = models.TextField(blank=True)
    reason = models.CharField(max_length=100, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("review", "reviewer"), name="plm_one_decision_per_reviewer")]

    def __str__(self) -> str:
        return f"{self.reviewer_id}: {self.decision}"


class Markup(OrgOwnedModel):
    """A 3D annotation on a design (optionally within a review)."""

    design_asset = models.ForeignKey(DesignAsset, on_delete=models.CASCADE, related_name="markups")
    review_session = models.ForeignKey(
        ReviewSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="markups"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    position = models.JSONField()
    camera_position = models.JSONField(null=True, blank=True)
    camera_target = models.JSONField(null=True, blank=True)
    annotation_text = models.TextField()
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.INFO)
    status = models.CharField(max_length=10, choices=MarkupStatus.choices, default=MarkupStatus.OPEN)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_notes = models.TextField(blank=True)
    dismissed_reason = models.TextField(blank=True)

    class Meta(OrgOwnedModel.Meta):
        verbose_name = "markup"

    def __str__(self) -> str:
        return self.annotation_text[:60]
