"""Abstract base models.

``BaseModel`` gives every table a UUID primary key (no enumeration) and creation/update times.
``OrgOwnedModel`` ties a row to its organization. Tenancy is enforced by structure in the API layer:
``custos.api.resources.TenantResource`` narrows every queryset to the caller's organizations after any
hook of the subclass, so a view cannot list or fetch another tenant's row (it is a 404), and writes take
the organization from the caller or the parent, never from the request body.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, ClassVar

from django.db import models


class BaseModel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering: ClassVar[tuple[str, ...]] = ("-created_at",)
        get_latest_by = "created_at"


class TenantQuerySet(models.QuerySet):
    def for_org(self, organization: Any) -> TenantQuerySet:
        return self.filter(organization=organization)

    def for_orgs(self, organizations: Iterable[Any]) -> TenantQuerySet:
        return self.filter(organization__in=list(organizations))


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """The default manager of tenant-owned models."""


class OrgOwnedModel(BaseModel):
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+", db_index=True)

    objects = TenantManager()

    class Meta(BaseModel.Meta):
        abstract = True
