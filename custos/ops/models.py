"""The platform's one settings record (pipeline ``/api/settings/`` and sqal ``/api/admin/settings/``)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from custos.kernel.models import BaseModel

_CACHE_KEY = "custos:system-settings"


class SystemSettings(BaseModel):
    singleton = models.BooleanField(default=True, unique=True, editable=False)
    site_name = models.CharField(max_length=100, default="Custos")
    timezone = models.CharField(max_length=64, default="UTC")
    email_notifications = models.BooleanField(default=True)
    sms_notifications = models.BooleanField(default=False)
    alert_notifications = models.BooleanField(default=True)
    analysis_confidence_threshold = models.FloatField(
        default=0.8, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    data_retention_days = models.PositiveIntegerField(default=365, validators=[MinValueValidator(1)])
    image_retention_days = models.PositiveIntegerField(default=180, validators=[MinValueValidator(1)])
    log_retention_days = models.PositiveIntegerField(default=90, validators=[MinValueValidator(1)])
    session_timeout_minutes = models.PositiveIntegerField(default=60, validators=[MinValueValidator(5)])
    password_min_length = models.PositiveIntegerField(
        default=8, validators=[MinValueValidator(8), MaxValueValidator(128)]
    )
    failed_login_lockout = models.PositiveIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    lockout_minutes = models.PositiveIntegerField(default=15, validators=[MinValueValidator(1)])
    api_rate_limit = models.PositiveIntegerField(default=1000, validators=[MinValueValidator(1)])  # per hour
    max_file_size_mb = models.PositiveIntegerField(
        default=500, validators=[MinValueValidator(1), MaxValueValidator(10240)]
    )
    maintenance_mode = models.BooleanField(default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        verbose_name = "system settings"
        verbose_name_plural = "system settings"

    def __str__(self) -> str:
        return f"System settings ({self.site_name})"

    @classmethod
    def load(cls) -> SystemSettings:
        """The settings record (created with defaults on first use), cached in the shared cache."""
        cached = cache.get(_CACHE_KEY)
        if cached is not None:
            return cached
        record, _ = cls.objects.get_or_create(singleton=True)
        cache.set(_CACHE_KEY, record, timeout=60)
        return record

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        cache.delete(_CACHE_KEY)  # every process sees the change on its next read


class ErrorEvent(BaseModel):
    """A server error (5xx) of a request, recorded by ``custos.ops.middleware.RequestMetricsMiddleware``."""

    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    route = models.CharField(max_length=300, blank=True)
    status_code = models.PositiveSmallIntegerField(db_index=True)
    exception_type = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    user_id = models.CharField(max_length=64, blank=True)
    duration_ms = models.FloatField(default=0)

    class Meta(BaseModel.Meta):
        verbose_name = "error event"

    def __str__(self) -> str:
        return f"{self.status_code} {self.method} {self.path}"
