"""The audit log: one append-only table; each row carries the hash of the row before it."""

from __future__ import annotations

import uuid

from django.db import models


class AppendOnlyError(Exception):
    """Audit rows are never changed or removed."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit rows cannot be updated")

    def delete(self):
        raise AppendOnlyError("audit rows cannot be deleted")


class AuditLog(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sequence = models.BigIntegerField(unique=True, editable=False)
    timestamp = models.DateTimeField(db_index=True)
    organization_id = models.UUIDField(null=True, blank=True, db_index=True)
    actor_type = models.CharField(max_length=20)  # user, api_key, device, system, anonymous
    actor_id = models.CharField(max_length=64, blank=True, db_index=True)
    actor_label = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=40, db_index=True)
    resource_type = models.CharField(max_length=80, db_index=True)
    resource_id = models.CharField(max_length=64, blank=True, db_index=True)
    resource_name = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    success = models.BooleanField(default=True)
    error_message = models.TextField(blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ("-sequence",)
        indexes = [models.Index(fields=("resource_type", "resource_id"))]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.actor_label or self.actor_type} {self.action} {self.resource_type}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit rows cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit rows cannot be deleted")
