from django.db import models


class Role(models.TextChoices):
    OWNER = "OWNER", "Owner"
    ADMIN = "ADMIN", "Admin"
    MEMBER = "MEMBER", "Member"
    VIEWER = "VIEWER", "Viewer"


class InvitationStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    ACCEPTED = "ACCEPTED", "Accepted"
    DECLINED = "DECLINED", "Declined"
    REVOKED = "REVOKED", "Revoked"
    EXPIRED = "EXPIRED", "Expired"


class SubscriptionTier(models.TextChoices):
    STARTER = "STARTER", "Starter"
    PROFESSIONAL = "PROFESSIONAL", "Professional"
    ENTERPRISE = "ENTERPRISE", "Enterprise"


ADMIN_ROLES = frozenset({Role.OWNER, Role.ADMIN})
WRITE_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.MEMBER})

# What each tier grants when a tier is set without explicit limits: (max users, max storage in GB).
TIER_LIMITS = {
    SubscriptionTier.STARTER: (10, 10),
    SubscriptionTier.PROFESSIONAL: (50, 500),
    SubscriptionTier.ENTERPRISE: (1000, 10000),
}

INVITATION_LIFETIME_DAYS = 7
