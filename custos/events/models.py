"""The embedded-mode event relay: events written in the publishing transaction, read by every server.

Without Redis, the worker and the server processes share no channel layer. ``publish`` then writes an
``EventRelay`` row in the caller's transaction (a rollback removes it with everything else), and each
server process polls the table for rows newer than the last it saw and fans them out to its own
in-memory channel layer and Socket.IO server. Rows older than a minute are pruned.
"""

from __future__ import annotations

from django.db import models


class EventRelay(models.Model):
    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    organization_id = models.UUIDField(null=True, blank=True)
    user_id = models.UUIDField(null=True, blank=True)
    topic = models.CharField(max_length=48)
    event = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.topic}/{self.event} #{self.id}"
