"""Test builder for alerts (a plain function: see ``tests/factories.py``)."""

from __future__ import annotations

import itertools
from typing import Any

from custos.alerts.choices import AlertStatus, Severity
from custos.alerts.models import Alert

_sequence = itertools.count(1)


def alert(
    *,
    organization: Any,
    source: str = "pipeline",
    alert_type: str = "test",
    severity: str = Severity.MEDIUM,
    status: str = AlertStatus.OPEN,
    **values: Any,
) -> Alert:
    """A saved alert of ``organization`` (open, medium severity unless given)."""
    number = next(_sequence)
    values.setdefault("title", f"Alert {number}")
    values.setdefault("message", f"Test alert {number}")
    return Alert.objects.create(
        organization=organization, source=source, alert_type=alert_type, severity=severity, status=status, **values
    )
