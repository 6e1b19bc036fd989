"""Test data builders: plain functions, one module per app, gathered here.

Why plain functions and not factory_boy: every builder is a few lines of ordinary Django that a reader
follows without knowing a library (no ``SubFactory``/``LazyAttribute`` rules, no post-generation
hooks), keyword arguments are checked and typed, and there is no extra dependency to pin.

* ``custos.orgs.tests.factories``: ``organization``, ``membership(user=, organization=, role=)``
* ``custos.identity.tests.factories``: ``user``, ``api_key``, ``auth_session``, ``api_client_for``,
  ``api_key_client``, ``PASSWORD``
* ``custos.alerts.tests.factories``: ``alert``;  ``custos.jobs.tests.factories``: ``job``
* here: ``rows(model, count, organization=, user=)``, which builds rows of *any* model, through the
  builders above when one exists, else by filling every required field (the query-count test uses it
  for every list route).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone

from custos.alerts.tests.factories import alert
from custos.identity.models import AuthSession
from custos.identity.tests.factories import (
    PASSWORD,
    api_client_for,
    api_key,
    api_key_client,
    auth_session,
    user,
)
from custos.jobs.tests.factories import job
from custos.orgs.tests.factories import membership, organization

__all__ = [
    "PASSWORD",
    "alert",
    "api_client_for",
    "api_key",
    "api_key_client",
    "auth_session",
    "job",
    "membership",
    "organization",
    "rows",
]

_sequence = itertools.count(1)

# model label -> builder(organization, user) of one row visible to that user in that organization.
Recipe = Callable[[Any, Any], Any]


def _audit_row(org: Any, owner: Any) -> Any:
    from custos.audit.services import audit_record
    from custos.kernel.context import WriteContext

    return audit_record(
        WriteContext.for_user(owner).within(org.pk),
        action="UPDATE",
        resource_type="Organization",
        resource_id=org.pk,
        resource_name=org.name,
        changes={"description": {"old": "", "new": f"v{next(_sequence)}"}},
        organization_id=org.pk,
    )


def _organization_row(org: Any, owner: Any) -> Any:
    other = organization()
    membership(user=owner, organization=other, role="OWNER")
    return other


RECIPES: dict[str, Recipe] = {
    "identity.User": lambda org, owner: user(organization=org),
    "identity.ApiKey": lambda org, owner: api_key(owner)[0],
    "identity.AuthSession": lambda org, owner: AuthSession.objects.get(pk=auth_session(owner).session_id),
    "orgs.Organization": _organization_row,
    "orgs.Membership": lambda org, owner: membership(user=user(), organization=org),
    "alerts.Alert": lambda org, owner: alert(organization=org),
    "jobs.Job": lambda org, owner: job(owner=owner, organization=org),
    "audit.AuditLog": _audit_row,
    # A singleton: every "new row" is the one row.
    "ops.SystemSettings": lambda org, owner: _model("ops.SystemSettings").objects.get_or_create(singleton=True)[0],
}


def _model(label: str) -> Any:
    from django.apps import apps

    return apps.get_model(label)


def rows(model: type[models.Model], count: int, *, organization: Any, user: Any) -> list[Any]:
    """``count`` new rows of ``model`` that ``user`` may see in ``organization``.

    Models with a builder use it; any other model is filled in field by field: the organization and
    user foreign keys point at the given ones, other required foreign keys at one related row built the
    same way (shared by the rows), and every other required field gets a valid, unique value.
    """
    recipe = RECIPES.get(model._meta.label)
    if recipe is not None:
        return [recipe(organization, user) for _ in range(count)]
    shared: dict[type[models.Model], Any] = {}
    return [_generic_row(model, organization, user, shared) for _ in range(count)]


def _generic_row(model: type[models.Model], org: Any, owner: Any, shared: dict[type[models.Model], Any]) -> Any:
    values: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.has_default() or getattr(field, "auto_now", False):
            continue
        if getattr(field, "auto_now_add", False):
            continue
        if field.is_relation:
            target: Any = field.related_model
            if target._meta.label == "orgs.Organization":
                values[field.name] = org
            elif target is get_user_model():
                values[field.name] = owner
            elif field.null:
                continue
            elif field.one_to_one:
                values[field.name] = rows(target, 1, organization=org, user=owner)[0]
            else:
                if target not in shared:
                    shared[target] = rows(target, 1, organization=org, user=owner)[0]
                values[field.name] = shared[target]
            continue
        if field.null:
            continue
        if field.blank and isinstance(field, (models.CharField, models.TextField, models.FileField)):
            continue
        values[field.name] = _value(field)
    return model._default_manager.create(**values)


def _value(field: models.Field) -> Any:
    number = next(_sequence)
    if field.choices:
        return field.choices[number % len(field.choices)][0]
    if isinstance(field, models.JSONField):
        if field.name in {"route", "geometry"}:  # GeoJSON columns (pipelines, segments)
            return {"type": "LineString", "coordinates": [[10.0, 50.0], [10.0 + number % 10 / 100, 50.1]]}
        return {}
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.DateTimeField):
        if field.name.startswith(("expires", "valid_until")):  # still valid (an invitation, a token)
            return timezone.now() + timedelta(days=7, minutes=number)
        return timezone.now() - timedelta(minutes=number)
    if isinstance(field, models.DateField):
        return date.today() - timedelta(days=number % 365)
    if isinstance(field, models.DecimalField):
        return Decimal(number % 10**3)
    if isinstance(field, models.FloatField):
        return float(number % 1000) + 1.5
    if isinstance(field, models.IntegerField):
        return number % 1000 + 1
    if isinstance(field, models.GenericIPAddressField):
        return f"127.0.{number // 250 % 250}.{number % 250 + 1}"
    if isinstance(field, models.EmailField):
        return f"row{number}@example.org"
    if isinstance(field, models.URLField):
        return f"https://example.org/{number}"
    if isinstance(field, models.UUIDField):
        import uuid

        return uuid.uuid4()
    if isinstance(field, (models.CharField, models.TextField)):
        text = f"{field.name}-{number}"
        return text[: field.max_length] if field.max_length else text
    raise TypeError(f"no test value for {field.model.__name__}.{field.name} ({type(field).__name__})")
