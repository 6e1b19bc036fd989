from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


class CustosUserManager(UserManager):
    """Users log in with their e-mail address; the username is kept for the dialects that use it."""

    def _create_user(self, username: str | None, email: str | None, password: str | None, **extra: Any):
        if not email:
            raise ValueError("An e-mail address is required")
        email = self.normalize_email(email).lower()
        username = username or email.split("@", 1)[0]
        return super()._create_user(username, email, password, **extra)

    def create_user(self, username=None, email=None, password=None, **extra):
        return super().create_user(username, email, password, **extra)

    def create_superuser(self, username=None, email=None, password=None, **extra):
        return super().create_superuser(username, email, password, **extra)

    def get_by_natural_key(self, username: str):
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
    is_us_person = models.BooleanField(default=False)
    security_clearance_level = models.CharField(
        max_length=20, choices=ClearanceLevel.choices, default=ClearanceLevel.UNCLASSIFIED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    objects = CustosUserManager()

    class Meta:
        ordering = ("email",)

    def __str__(self) -> str:
        return self.email
