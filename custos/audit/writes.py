"""Audited writes: the one way a service creates, changes, deletes or acts on a row.

Each helper, in one transaction: checks the actor's role in the row's organization, writes (an update
saves only the fields that changed), appends exactly one audit row, and publishes the domain event
once the transaction commits. A domain service calls these instead of writing the three steps itself.

The stored vocabulary (every app, every presenter reads it back):

* ``action`` is an upper-case verb: ``CREATE``, ``UPDATE``, ``DELETE``, ``ANALYZE``, ``LOGIN_FAILED``…
* ``resource_type`` is the entity's class name: ``Pipeline``, ``SatelliteImage``, ``User``, ``Session``…

Each dialect's presenter maps these to its document's values (``custos.audit.vocabulary``).
The event of a write goes to the organization's topic of the entity (``Model.event_topic``, default the
entity in snake case) as ``<entity>.<verb>`` (``pipeline.create``) with ``{id, entity, action, name,
fields}``: ids and field names only, never values, so a subscriber learns what to re-read.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, TypeVar

from django.db import models, transaction

from custos.audit.services import audit_organization_id, audit_record
from custos.audit.vocabulary import snake
from custos.kernel.context import WriteContext
from custos.kernel.errors import PermissionDenied
from custos.orgs.choices import WRITE_ROLES
from custos.orgs.selectors import role_of

M = TypeVar("M", bound=models.Model)

ROLE_MESSAGE = "Your role in this organization does not allow changes."


def entity_of(model: Any) -> str:
    """The audit name of a model (class or instance): ``Model.audit_entity`` or its class name."""
    klass = model if isinstance(model, type) else type(model)
    return getattr(klass, "audit_entity", None) or klass.__name__


def require_role(ctx: WriteContext, *, organization_id: Any, roles: Collection[str] | None = WRITE_ROLES) -> None:
    """Refuse (403) unless the actor holds one of ``roles`` in ``organization_id``.

    The platform (``ctx.is_system``) and ``roles=None`` pass; a device passes in its own organization
    only. Platform staff get no implicit write role in a tenant's organization.
    """
    if roles is None or ctx.is_system:
        return
    if ctx.device is not None:
        if getattr(ctx.device, "organization_id", None) != organization_id:
            raise PermissionDenied(ROLE_MESSAGE)
        return
    if ctx.user is None or role_of(user=ctx.user, organization=organization_id) not in roles:
        raise PermissionDenied(ROLE_MESSAGE)


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    return value if isinstance(value, (str, int, float, bool, type(None), list, dict)) else str(value)


def publish_write(ctx: WriteContext, instance: Any, *, action: str, fields: Iterable[str] = (), **extra: Any) -> None:
    """The domain event of a write, delivered after commit to the organization of the row."""
    organization_id = audit_organization_id(instance) or ctx.organization_id
    if organization_id is None:
        return
    from custos.events import services as events

    entity = entity_of(instance)
    topic = getattr(type(instance), "event_topic", None) or snake(entity)
    payload = {
        "id": str(instance.pk),
        "entity": entity,
        "action": action,
        "name": str(instance)[:255],
        "fields": sorted(fields),
        **extra,
    }
    events.publish(organization_id=organization_id, topic=topic, event=f"{topic}.{action.lower()}", payload=payload)


def audited_create(
    ctx: WriteContext,
    model: type[M] | M,
    *,
    values: dict[str, Any] | None = None,
    roles: Collection[str] | None = WRITE_ROLES,
    audit_values: dict[str, Any] | None = None,
    event: bool = True,
) -> M:
    """Create ``model(**values)`` (or save the unsaved instance ``model``, ``values`` applied to it) in
    ``values["organization_id"]``, default ``ctx.organization_id``. The audit row's changes are
    ``audit_values`` (default ``values``)."""
    values = dict(values or {})
    klass = model if isinstance(model, type) else type(model)
    has_organization = any(f.name == "organization" for f in klass._meta.fields)
    if isinstance(model, type):
        if has_organization and "organization" not in values:
            values.setdefault("organization_id", ctx.organization_id)
        instance = model(**values)
    else:
        instance = model
        for name, value in values.items():
            setattr(instance, name, value)
        if has_organization and getattr(instance, "organization_id", None) is None:
            setattr(instance, "organization_id", ctx.organization_id)  # noqa: B010 - typed as any model
    organization_id = audit_organization_id(instance)
    require_role(ctx, organization_id=organization_id, roles=roles)
    recorded = audit_values if audit_values is not None else values
    with transaction.atomic():
        instance.save(force_insert=True)
        audit_record(
            ctx,
            action="CREATE",
            resource_type=entity_of(klass),
            resource_id=instance.pk,
            resource_name=str(instance),
            changes={key: _plain(value) for key, value in recorded.items() if key != "organization_id"},
            target=instance,
        )
        if event:
            publish_write(ctx, instance, action="CREATE", fields=recorded)
    return instance


def audited_update(
    ctx: WriteContext,
    instance: M,
    *,
    values: dict[str, Any],
    action: str = "UPDATE",
    roles: Collection[str] | None = WRITE_ROLES,
    event: bool = True,
    extra_changes: dict[str, Any] | None = None,
) -> M:
    """Apply ``values``, save only the fields that changed, record ``{field: {old, new}}``."""
    require_role(ctx, organization_id=audit_organization_id(instance), roles=roles)
    changes: dict[str, Any] = {}
    for name, value in values.items():
        old = getattr(instance, name)
        if old != value:
            changes[name] = {"old": _plain(old), "new": _plain(value)}
    with transaction.atomic():
        for name in changes:
            setattr(instance, name, values[name])
        if changes:
            fields = [instance._meta.get_field(name).attname for name in changes]  # type: ignore[union-attr]
            if any(f.name == "updated_at" for f in instance._meta.fields):
                fields.append("updated_at")
            instance.save(update_fields=fields)
        audit_record(
            ctx,
            action=action,
            resource_type=entity_of(instance),
            resource_id=instance.pk,
            resource_name=str(instance),
            changes={**changes, **(extra_changes or {})},
            target=instance,
        )
        if event:
            publish_write(ctx, instance, action=action, fields=changes)
    return instance


def audited_delete(
    ctx: WriteContext,
    instance: models.Model,
    *,
    roles: Collection[str] | None = WRITE_ROLES,
    event: bool = True,
) -> None:
    """Delete ``instance`` (and what cascades from it) with one audit row and one event."""
    require_role(ctx, organization_id=audit_organization_id(instance), roles=roles)
    with transaction.atomic():
        audit_record(
            ctx,
            action="DELETE",
            resource_type=entity_of(instance),
            resource_id=instance.pk,
            resource_name=str(instance),
            target=instance,
        )
        if event:
            publish_write(ctx, instance, action="DELETE")
        instance.delete()


def audited_action(
    ctx: WriteContext,
    instance: Any,
    *,
    action: str,
    changes: dict[str, Any] | None = None,
    roles: Collection[str] | None = WRITE_ROLES,
    event: bool = True,
) -> None:
    """Record a domain verb on ``instance`` (``ANALYZE``, ``VERIFY``…) whose effects the caller writes
    in the same transaction: one audit row and the event, after the role check."""
    require_role(ctx, organization_id=audit_organization_id(instance) or ctx.organization_id, roles=roles)
    with transaction.atomic():
        audit_record(
            ctx,
            action=action,
            resource_type=entity_of(instance),
            resource_id=instance.pk,
            resource_name=str(instance),
            changes=changes,
            target=instance,
        )
        if event:
            publish_write(ctx, instance, action=action, fields=changes or ())
