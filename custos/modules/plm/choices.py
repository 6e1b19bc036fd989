"""Enumerations of the PLM domain (specs/003-enginel-plm.md, notes "enginel (003)")."""

from __future__ import annotations

from django.db import models


class Classification(models.TextChoices):
    UNCLASSIFIED = "UNCLASSIFIED", "Unclassified"
    CONFIDENTIAL = "CONFIDENTIAL", "Confidential"
    SECRET = "SECRET", "Secret"
    TOP_SECRET = "TOP_SECRET", "Top secret"
    ITAR = "ITAR", "ITAR"
    EAR99 = "EAR99", "EAR99"
    CUI = "CUI", "Controlled unclassified"


class DesignStatus(models.TextChoices):
    UPLOADING = "UPLOADING", "Uploading"
    PROCESSING = "PROCESSING", "Processing"
    READY = "READY", "Ready for review"
    IN_REVIEW = "IN_REVIEW", "In review"
    APPROVED = "APPROVED", "Approved"
    REJECTED = "REJECTED", "Rejected"
    ARCHIVED = "ARCHIVED", "Archived"
    FAILED = "FAILED", "Failed"


class FileFormat(models.TextChoices):
    STEP = "STEP", "STEP"
    IGES = "IGES", "IGES"
    STL = "STL", "STL"
    OBJ = "OBJ", "OBJ"


class ReviewStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    IN_PROGRESS = "IN_PROGRESS", "In progress"
    COMPLETED = "COMPLETED", "Completed"
    CANCELLED = "CANCELLED", "Cancelled"


class Decision(models.TextChoices):
    PENDING = "PENDING", "Pending"
    APPROVED = "APPROVED", "Approved"
    REJECTED = "REJECTED", "Rejected"


class MarkupStatus(models.TextChoices):
    OPEN = "OPEN", "Open"
    RESOLVED = "RESOLVED", "Resolved"
    DISMISSED = "DISMISSED", "Dismissed"


class Severity(models.TextChoices):
    INFO = "INFO", "Info"
    MINOR = "MINOR", "Minor"
    MAJOR = "MAJOR", "Major"
    CRITICAL = "CRITICAL", "Critical"


OPEN_REVIEW = (ReviewStatus.PENDING, ReviewStatus.IN_PROGRESS)
REVIEWABLE = (DesignStatus.READY, DesignStatus.APPROVED, DesignStatus.REJECTED)
