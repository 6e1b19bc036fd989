"""Every new organization starts with the default alarm rules (``custos.devices.rules.DEFAULT_RULES``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from custos.orgs.models import Organization


@receiver(post_save, sender=Organization, dispatch_uid="devices.default_alert_rules")
def install_default_alert_rules(
    sender: type[Organization], instance: Organization, created: bool, **kwargs: Any
) -> None:
    if not created or kwargs.get("raw"):
        return
    from custos.devices.rules import install_default_rules

    with transaction.atomic():
        install_default_rules(organization_id=instance.pk)
