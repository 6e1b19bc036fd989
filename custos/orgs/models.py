from __future__ import annotations

from django.conf import settings
from django.db import models

from custos.kernel.models import BaseModel
from custos.orgs.choices import Role, SubscriptionTier


class Organization(BaseModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    is_us_organization = models.BooleanField(default=False)
    subscription_tier = models.CharField(
        max_length=20, choices=SubscriptionTier.choices, default=SubscriptionTier.STARTER
    )
    max_users = models.PositiveIntegerField(default=10)
    max_storage_gb = models.PositiveIntegerField(default=10)
    # Bytes of stored files counted against ``max_storage_gb``; changed only through
    # ``custos.orgs.services.organization_storage_consume`` (an atomic F() update).
    storage_used_bytes = models.BigIntegerField(default=0)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=32, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    @property
    def storage_limit_bytes(self) -> int:
        return self.max_storage_gb * 1024**3


class Membership(BaseModel):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)

    class Meta(BaseModel.Meta):
        constraints = [models.UniqueConstraint(fields=("organization", "user"), name="uniq_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} as {self.role}"
