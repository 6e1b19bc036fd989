"""Reads of the audit log: which rows a user may see, and text search."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from custos.audit.models import AuditLog


def audit_visible(*, user: Any, org_ids: list[Any] | None) -> QuerySet[AuditLog]:
    """Rows ``user`` may read: staff every row (narrowed to ``org_ids`` when given); others the rows of
    their organizations (``org_ids``) and the rows of their own actions."""
    queryset = AuditLog.objects.all()
    if getattr(user, "is_staff", False):
        return queryset if org_ids is None else queryset.filter(organization_id__in=org_ids)
    own = Q(actor_type="user", actor_id=str(user.pk))
    return queryset.filter(Q(organization_id__in=list(org_ids or [])) | own)


def audit_search(*, queryset: QuerySet[AuditLog], text: str) -> QuerySet[AuditLog]:
    """Rows whose action, resource, actor or error mention ``text`` (case-insensitive)."""
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(
        Q(action__icontains=text)
        | Q(resource_type__icontains=text)
        | Q(resource_id__icontains=text)
        | Q(resource_name__icontains=text)
        | Q(actor_label__icontains=text)
        | Q(error_message__icontains=text)
    )
