from __future__ import annotations

from django.db import models


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    EXCEL = "excel", "Excel (XLSX)"
    CSV = "csv", "CSV"
    JSON = "json", "JSON"


class ReportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    GENERATING = "generating", "Generating"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


# The period a scheduled run covers when the schedule names no ``days``: the time since the last run.
DEFAULT_DAYS = {Frequency.DAILY: 1, Frequency.WEEKLY: 7, Frequency.MONTHLY: 30}
MAX_DAYS = 366
MAX_RECIPIENTS = 20
