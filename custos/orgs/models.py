from __future__ import annotations

from django.conf import settings
from django.db import models

from custos.identity.models import ClearanceLevel
from custos.kernel.models import BaseModel
from custos.orgs.choices import InvitationStatus, Role, SubscriptionTier


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
    """An active member of an organization. Pending invitees are ``Invitation`` rows, never memberships,
    so every membership check in the platform counts only people who accepted.

    The export-control attestation (``security_clearance_level``, ``is_us_person``) lives here, per
    organization: set only by that organization's OWNER/ADMIN or platform staff, never by the member
    (``custos.orgs.services.membership_attest``), read only through ``custos.orgs.selectors.attestation``.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    security_clearance_level = models.CharField(
        max_length=20, choices=ClearanceLevel.choices, default=ClearanceLevel.UNCLASSIFIED
    )
    is_us_person = models.BooleanField(default=False)
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attested_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        constraints = [models.UniqueConstraint(fields=("organization", "user"), name="uniq_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} as {self.role}"


class Invitation(BaseModel):
    """An offer to join ``organization`` with ``role``; the invitee becomes a member only by accepting.

    The inviter names the invitee by ``invited_email`` or by ``invited_user_id`` and sees back only what
    they gave: whether an account stands behind it is never revealed (``invitee`` and the delivery
    address are internal). A pending invitation counts against ``max_users``. The single-use token
    mailed to the invitee is stored as its SHA-256 (``token_hash``).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    invited_email = models.EmailField(blank=True)  # as the inviter gave it (lower case), or blank
    invited_user_id = models.UUIDField(null=True, blank=True)  # as the inviter gave it, or null
    invitee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ("created_at",)
        indexes = [models.Index(fields=("organization", "accepted_at", "declined_at", "revoked_at"))]

    def __str__(self) -> str:
        # Shown in audit rows and events: never the invitee's address.
        return f"invitation {self.pk} ({self.role})"

    @property
    def status(self) -> str:
        from django.utils import timezone

        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.declined_at is not None:
            return InvitationStatus.DECLINED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING
