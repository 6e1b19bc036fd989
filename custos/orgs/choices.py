from django.db import models


class Role(models.TextChoices):
    OWNER = "OWNER", "Owner"
    ADMIN = "ADMIN", "Admin"
    MEMBER = "MEMBER", "Member"
    VIEWER = "VIEWER", "Viewer"


class SubscriptionTier(models.TextChoices):
    STARTER = "STARTER", "Starter"
    PROFESSIONAL = "PROFESSIONAL", "Professional"
    ENTERPRISE = "ENTERPRISE", "Enterprise"


ADMIN_ROLES = frozenset({Role.OWNER, Role.ADMIN})
WRITE_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.MEMBER})
