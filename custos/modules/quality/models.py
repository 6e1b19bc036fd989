"""SQAL quality samples: one row per analysed product (a ToF 8x8 scan plus an 11-channel spectrum).

The raw matrices are kept as sent (8x8 JSON arrays, small); the optional 8x8x128 histogram bins are
stored compactly as zlib-compressed little-endian uint32 bytes (``analysis.bins``), never as JSON.
The server's analysis (``tof_*``, ``spectral_*``, ``fusion_score``, ``grade``, ``defects``) is computed
from the raw data by ``custos.modules.quality.analysis``; what the device reported is kept in
``device_results`` for comparison only.
"""

from __future__ import annotations

from django.db import models

from custos.kernel.models import OrgOwnedModel


class Grade(models.TextChoices):
    A_PLUS = "A+", "A+"
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    REJECT = "REJECT", "REJECT"


class QualitySample(OrgOwnedModel):
    # No index of its own: (device, timestamp) and (device, sample_id) lead with it.
    device = models.ForeignKey(
        "devices.Device", on_delete=models.CASCADE, related_name="quality_samples", db_index=False
    )
    sample_id = models.CharField(max_length=100)
    timestamp = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)

    # Raw sensor data.
    distance_matrix = models.JSONField()  # 8x8 mm
    reflectance_matrix = models.JSONField(null=True, blank=True)
    amplitude_matrix = models.JSONField(null=True, blank=True)
    bins = models.BinaryField(null=True, blank=True)  # 8x8x128 uint32, zlib-compressed
    channels = models.JSONField(default=dict)  # F1_415nm ... F8_680nm, Clear, NIR
    integration_time = models.FloatField(null=True, blank=True)
    gain = models.FloatField(null=True, blank=True)
    device_results = models.JSONField(default=dict, blank=True)  # as reported, for comparison only
    meta = models.JSONField(default=dict, blank=True)

    # Server analysis.
    tof_metrics = models.JSONField(default=dict)
    tof_score = models.FloatField()
    tof_grade = models.CharField(max_length=6, choices=Grade.choices)
    avg_height_mm = models.FloatField(null=True, blank=True)
    volume_mm3 = models.FloatField(null=True, blank=True)
    spectral_metrics = models.JSONField(default=dict)
    spectral_score = models.FloatField()
    spectral_grade = models.CharField(max_length=6, choices=Grade.choices)
    freshness_index = models.FloatField(null=True, blank=True)
    delta_e = models.FloatField(null=True, blank=True)
    fusion_score = models.FloatField()
    grade = models.CharField(max_length=6, choices=Grade.choices)  # indexed with the organization and time
    defects = models.JSONField(default=list, blank=True)
    num_defects = models.PositiveIntegerField(default=0)
    certification_hash = models.CharField(max_length=64)

    # Traceability.
    lot_abattage = models.CharField(max_length=200, blank=True)
    eleveur = models.CharField(max_length=200, blank=True)
    provenance = models.CharField(max_length=200, blank=True)

    event_topic = "quality"

    class Meta(OrgOwnedModel.Meta):
        ordering = ("-timestamp",)
        get_latest_by = "timestamp"
        constraints = [
            models.UniqueConstraint(fields=("device", "sample_id"), name="uniq_quality_sample_per_device"),
        ]
        # Samples arrive at 1 Hz per station for months: every read is a time range of an organization,
        # of a station (by primary key, ``selectors.for_device``) or of a grade (docs/sqal-grading.md).
        indexes = [
            models.Index(fields=("device", "timestamp"), name="quality_sample_device_ts"),
            models.Index(fields=("organization", "timestamp"), name="quality_sample_org_ts"),
            models.Index(fields=("organization", "grade", "timestamp"), name="quality_sample_org_grade_ts"),
            # PostgreSQL only: BRIN quality_sample_ts_brin on timestamp (migration 0003), long windows.
        ]

    def __str__(self) -> str:
        return f"{self.sample_id} ({self.grade})"
