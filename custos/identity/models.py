from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


class CustosUserManager(UserManager):
    """Users log in with their e-mail address; the username is kept for the dialects that use it."""

    def _create_user(self, username: str | None, email: str | None, password: str | None, **extra: Any):
        if not email:
            raise ValueError("An e-mail address is required")
        email = self.normalize_email(email).lower()
        username = username or email.split("@", 1)[0]
        # Django's private UserManager._create_user, which the stubs do not declare.
        return super()._create_user(username, email, password, **extra)  # type: ignore[misc]

    def create_user(self, username=None, email=None, password=None, **extra):
        return super().create_user(username, email, password, **extra)

    def create_superuser(self, username=None, email=None, password=None, **extra):
        return super().create_superuser(username, email, password, **extra)

    def get_by_natural_key(self, username: str | None):
        return self.get(email__iexact=username)


class ClearanceLevel(models.TextChoices):
    UNCLASSIFIED = "UNCLASSIFIED", "Unclassified"
    CONFIDENTIAL = "CONFIDENTIAL", "Confidential"
    SECRET = "SECRET", "Secret"
    TOP_SECRET = "TOP_SECRET", "Top secret"


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    username = models.CharField(max_length=150, unique=True)
    phone_number = models.CharField(max_length=32, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    avatar = models.ImageField(upload_to="avatars/", null=True, blank=True)
    notification_settings = models.JSONField(default=dict, blank=True)
    email_confirmed = models.BooleanField(default=False)
    credits = models.IntegerField(default=0)
    stripe_customer_id = models.CharField(max_length=64, blank=True)
    # Clearance and US-person status are not properties of an account: each organization attests them
    # on the membership (``custos.orgs.models.Membership``; read with ``custos.orgs.selectors.attestation``).
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Every token carries the version it was issued under (claim "ver", absent = 0); raising it
    # ("log out everywhere", password change or reset) refuses every token issued before.
    token_version = models.PositiveIntegerField(default=0)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    objects: ClassVar[CustosUserManager] = CustosUserManager()

    class Meta:
        ordering = ("email",)

    def __str__(self) -> str:
        return self.email


# --- Credentials and account safety -----------------------------------------------------------


class AuthSession(models.Model):
    """One login: every token pair issued by it carries its id (``sid``); revoking it ends them all.

    A refresh token that was already rotated and is presented again revokes its whole session (token
    family), so a stolen refresh token stops working for both the thief and the owner.
    """

    audit_entity = "Session"  # the audit vocabulary's name (custos.audit.writes.entity_of)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="auth_sessions")
    device_name = models.CharField(max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ("-created_at",)
        indexes = [models.Index(fields=("user", "revoked_at"))]

    def __str__(self) -> str:
        return f"session {self.pk} of {self.user_id}"


class ApiKeyScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"


class ApiKey(models.Model):
    """A long-lived credential for services: stored as a SHA-256 hash, shown once at creation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    last_four = models.CharField(max_length=4)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    allowed_ips = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def key_masked(self) -> str:
        return f"{self.prefix}{'*' * 8}{self.last_four}"


class DeviceType(models.TextChoices):
    DESKTOP = "desktop", "Desktop"
    MOBILE = "mobile", "Mobile"


class LoggedDevice(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("identity.User", on_delete=models.CASCADE, related_name="logged_devices")
    device_type = models.CharField(max_length=10, choices=DeviceType.choices)
    device_name = models.CharField(max_length=150)
    place = models.CharField(max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-last_login_at", "-created_at")
        constraints = [
            models.UniqueConstraint(fields=("user", "device_type", "device_name"), name="logged_device_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.device_name} ({self.device_type})"


class LoginFailure(models.Model):
    """Failed logins per (account, client address); a row past the limit is a lockout.

    ``identifier`` is ``user:<id>`` when the submitted identifier names an account (its e-mail address
    or username, any letter case), else the submitted identifier itself (lower case)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    identifier = models.CharField(max_length=254)
    ip_address = models.CharField(max_length=45, blank=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("identifier", "ip_address"), name="login_failure_unique")]

    def __str__(self) -> str:
        return f"{self.identifier} from {self.ip_address}: {self.failures}"


class PreRegistration(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.email
