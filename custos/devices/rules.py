"""Alarm rules of the twin: evaluated on every ingested batch, one alarm per (device, rule) in the shared
alert table (``source="twin"``, subject the device).

* A threshold rule raises its alarm once ``reading <operator> threshold`` has held over consecutive
  readings for ``duration_seconds`` (measured on the readings' timestamps, so a batch of past readings
  raises what it should have raised), and resolves it when a reading no longer meets the condition.
  Where each (rule, device) stands is kept in ``AlertRuleState``: evaluating a batch costs a handful of
  queries (rules, devices, states, one upsert), plus one write per alarm raised or cleared.
* A rule on metric ``temperature`` also applies to the primary ``value`` of temperature sensors (and
  likewise for the other sensor types of ``METRIC_DEVICE_TYPES``).
* A no-data rule (``no_data_minutes``) is evaluated by the periodic task ``devices.evaluate_no_data_rules``.
* A device's ``status`` follows its open alarms (``device_status_refresh``): ``offline`` while a no-data
  alarm is open and nothing came since, else ``critical`` with an open critical alarm, ``warning`` with
  an open high or medium one, else ``normal``. It is recomputed whenever one of its alarms is raised or
  resolved here, and on every ingested batch.

Rules are stored with ``warning``/``critical``; the shared alert table grades ``high``/``critical``
(``ALERT_SEVERITY``), and the twin shape (``twin_alert``) shows them back as ``warning``/``critical``.
"""

from __future__ import annotations

import math
import operator as op
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.db.models import Case, Q, QuerySet, Value, When
from django.db.models import Field as ModelField
from django.utils import timezone

from custos.alerts.choices import AlertStatus, Severity
from custos.alerts.models import Alert
from custos.alerts.services import alert_raise, alert_resolve
from custos.audit.writes import audited_create, audited_delete, audited_update
from custos.devices.choices import DEFAULT_METRIC, DeviceStatus
from custos.devices.models import AlertRule, AlertRuleState, Device, RuleOperator, RuleSeverity
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict, ValidationFailed
from custos.orgs.choices import ADMIN_ROLES

SOURCE = "twin"
SUBJECT_TYPE = "devices.Device"

# A rule on the metric (key) also reads the primary ``value`` of devices of the type.
METRIC_DEVICE_TYPES: dict[str, str] = {
    "temperature": "temperature_sensor",
    "pressure": "pressure_sensor",
    "vibration": "vibration_sensor",
    "humidity": "humidity_sensor",
    "power": "power_meter",
}
_TYPE_METRICS = {device_type: metric for metric, device_type in METRIC_DEVICE_TYPES.items()}

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    RuleOperator.GT: op.gt,
    RuleOperator.GE: op.ge,
    RuleOperator.LT: op.lt,
    RuleOperator.LE: op.le,
    RuleOperator.EQ: op.eq,
    RuleOperator.NE: op.ne,
}

ALERT_SEVERITY: dict[str, str] = {RuleSeverity.WARNING: Severity.HIGH, RuleSeverity.CRITICAL: Severity.CRITICAL}
TWIN_SEVERITY: dict[str, str] = {
    Severity.LOW: "info",
    Severity.MEDIUM: "warning",
    Severity.HIGH: "warning",
    Severity.CRITICAL: "critical",
}
TWIN_SEVERITY_FILTER = {
    "info": [Severity.LOW],
    "warning": [Severity.MEDIUM, Severity.HIGH],
    "critical": [Severity.CRITICAL],
}
ACTIVE = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)

# name, metric, operator, threshold, severity, duration_seconds
DEFAULT_RULES: tuple[tuple[str, str, str, float, str, int], ...] = (
    ("temperature_warning", "temperature", ">", 80.0, "warning", 300),
    ("temperature_critical", "temperature", ">", 95.0, "critical", 60),
    ("vibration_warning", "vibration", ">", 0.5, "warning", 180),
)

RULE_FIELDS = (
    "name",
    "metric",
    "device",
    "device_type",
    "operator",
    "threshold",
    "severity",
    "duration_seconds",
    "no_data_minutes",
    "enabled",
)


# --- Default rules --------------------------------------------------------------------------------


def install_default_rules(*, organization_id: Any) -> int:
    """Give ``organization_id`` the default rules it lacks (by name); the number created."""
    existing = set(AlertRule.objects.filter(organization_id=organization_id).values_list("name", flat=True))
    missing = [
        AlertRule(
            organization_id=organization_id,
            name=name,
            metric=metric,
            operator=operator,
            threshold=threshold,
            severity=severity,
            duration_seconds=duration,
        )
        for name, metric, operator, threshold, severity, duration in DEFAULT_RULES
        if name not in existing
    ]
    AlertRule.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


# --- Rule writes ----------------------------------------------------------------------------------


def _checked_rule_values(ctx: WriteContext, data: Mapping[str, Any], *, instance: AlertRule | None) -> dict[str, Any]:
    """The model values of ``data`` (already shaped by the input serializer), checked as a whole."""
    values = {name: data[name] for name in RULE_FIELDS if name in data}
    organization_id = instance.organization_id if instance is not None else ctx.organization_id
    errors: dict[str, list[str]] = {}
    if "device" in values and values["device"] is not None:
        device = Device.objects.filter(organization_id=organization_id, device_id=values["device"]).first()
        if device is None:
            errors["device"] = [f"No device {str(values['device'])[:64]!r} in this organization."]
        values["device"] = device
    merged = {name: getattr(instance, name, None) for name in RULE_FIELDS} if instance is not None else {}
    merged.update(values)
    if merged.get("device") is not None and merged.get("device_type"):
        errors["device_type"] = ["Name a device or a device type, not both."]
    threshold = merged.get("threshold")
    if merged.get("no_data_minutes") is None:
        if threshold is None:
            errors["threshold"] = ["A threshold is required (unless the rule is a no-data rule)."]
        elif not math.isfinite(threshold):
            errors["threshold"] = ["Must be a finite number."]
    if errors:
        raise ValidationFailed(field_errors=errors)
    return values


def rule_create(ctx: WriteContext, *, data: Mapping[str, Any]) -> AlertRule:
    """A new rule of ``ctx.organization_id`` (OWNER/ADMIN); 409 when the organization has its name."""
    values = _checked_rule_values(ctx, data, instance=None)
    values.setdefault("metric", DEFAULT_METRIC)
    if AlertRule.objects.filter(organization_id=ctx.organization_id, name=values.get("name")).exists():
        raise Conflict(f"A rule named {values.get('name')!r} already exists.")
    try:
        with transaction.atomic():
            return audited_create(
                ctx, AlertRule, values={"organization_id": ctx.organization_id, **values}, roles=ADMIN_ROLES
            )
    except IntegrityError:
        raise Conflict(f"A rule named {values.get('name')!r} already exists.") from None


def rule_update(ctx: WriteContext, instance: AlertRule, *, data: Mapping[str, Any]) -> AlertRule:
    """Change a rule (OWNER/ADMIN). Its breaches in progress are forgotten: the next readings start over."""
    values = _checked_rule_values(ctx, data, instance=instance)
    name = values.get("name")
    if (
        name
        and name != instance.name
        and AlertRule.objects.filter(organization_id=instance.organization_id, name=name).exists()
    ):
        raise Conflict(f"A rule named {name!r} already exists.")
    with transaction.atomic():
        rule = audited_update(ctx, instance, values=values, roles=ADMIN_ROLES)
        AlertRuleState.objects.filter(rule=rule, alert__isnull=True).delete()
    return rule


def rule_delete(ctx: WriteContext, instance: AlertRule) -> None:
    """Remove a rule (OWNER/ADMIN); its active alarms are resolved."""
    with transaction.atomic():
        active = list(_active_alarms(instance.organization_id, rule_ids=[instance.pk]))
        audited_delete(ctx, instance, roles=ADMIN_ROLES)
        system = WriteContext.system(organization_id=instance.organization_id)
        for alert in active:
            alert_resolve(system, alert, notes=f"Rule {instance.name!r} was deleted.", roles=None)
        if active:
            device_status_refresh(
                organization_id=instance.organization_id, device_keys={alert.subject_id for alert in active}
            )


def _active_alarms(organization_id: Any, *, rule_ids: Iterable[Any]) -> QuerySet[Alert]:
    return Alert.objects.filter(
        organization_id=organization_id,
        source=SOURCE,
        status__in=ACTIVE,
        data__rule_id__in=[str(pk) for pk in rule_ids],
    )


# --- Evaluation on ingest -------------------------------------------------------------------------


def _applies(rule: AlertRule, device_pk: Any, device_type: str) -> bool:
    if rule.device_id is not None:
        return bool(rule.device_id == device_pk)
    return not rule.device_type or rule.device_type == device_type


def _metrics_of(metric: str, device_type: str) -> tuple[str, ...]:
    """The rule metrics a reading of ``metric`` on a device of ``device_type`` answers to."""
    if metric == DEFAULT_METRIC and device_type in _TYPE_METRICS:
        return (metric, _TYPE_METRICS[device_type])
    return (metric,)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _number(value: float) -> str:
    return f"{value:g}"


def _raise(rule: AlertRule, device_key: str, *, value: float, moment: datetime, since: datetime) -> Alert:
    held = int((moment - since).total_seconds())
    label = rule.metric.replace("_", " ").capitalize()
    return alert_raise(
        WriteContext.system(organization_id=rule.organization_id),
        organization_id=rule.organization_id,
        source=SOURCE,
        alert_type=rule.name,
        severity=ALERT_SEVERITY.get(rule.severity, Severity.HIGH),
        title=f"{rule.name} on {device_key}",
        message=(
            f"{label} {_number(value)} {rule.operator} {_number(rule.threshold or 0.0)} "
            f"for {held} s on {device_key} ({rule.severity})"
        ),
        subject_type=SUBJECT_TYPE,
        subject_id=device_key,
        data={
            "rule_id": str(rule.pk),
            "rule_name": rule.name,
            "device_id": device_key,
            "metric": rule.metric,
            "operator": rule.operator,
            "threshold": rule.threshold,
            "value": value,
            "rule_severity": rule.severity,
            "breach_since": _iso(since),
            "triggered_at": _iso(moment),
        },
    )


def _clear(rule: AlertRule, alert: Alert, *, value: float, moment: datetime) -> None:
    if alert.status == AlertStatus.RESOLVED:  # resolved by a person meanwhile
        return
    notes = (
        f"Cleared automatically: {rule.metric} {_number(value)} at {_iso(moment)} "
        f"no longer {rule.operator} {_number(rule.threshold or 0.0)}."
    )
    alert_resolve(WriteContext.system(organization_id=rule.organization_id), alert, notes=notes, roles=None)


def evaluate_batch(
    *,
    organization_id: Any,
    rows: Sequence[tuple[Any, datetime, str, float]],
    devices: Mapping[Any, tuple[str, str]] | None = None,
) -> list[Alert]:
    """Evaluate the enabled threshold rules of ``organization_id`` on a stored batch of
    ``(device pk, timestamp, metric, value)`` rows; the alarms raised. Runs in the caller's transaction.

    ``devices`` (device pk -> ``(device_id, device_type)`` of every device of the batch) saves a query
    when the caller has it already. The cost per row is one dictionary look-up and one append per rule
    that applies; the rules are then run over each (rule, device) series in time order."""
    rules = list(
        AlertRule.objects.filter(organization_id=organization_id, enabled=True, no_data_minutes__isnull=True).exclude(
            threshold__isnull=True
        )
    )
    if not rules or not rows:
        return []
    if devices is None:
        devices = {
            pk: (device_key, device_type)
            for pk, device_key, device_type in Device.objects.filter(pk__in={row[0] for row in rows}).values_list(
                "pk", "device_id", "device_type"
            )
        }
    by_metric: dict[str, list[AlertRule]] = defaultdict(list)
    for rule in rules:
        by_metric[rule.metric].append(rule)
    series: dict[tuple[Any, Any], list[tuple[datetime, float]]] = {}
    # keyed by the identity of the pk object: the rows of one device share it (a second, equal object only
    # costs a second look-up), and hashing a UUID per row would cost more than the routing itself
    targets_of: dict[tuple[int, str], list[list[tuple[datetime, float]]]] = {}
    rule_of: dict[Any, AlertRule] = {rule.pk: rule for rule in rules}
    for device_pk, moment, metric, value in rows:
        targets = targets_of.get((id(device_pk), metric))
        if targets is None:  # once per (device, metric) of the batch: the series its readings feed
            device_type = devices.get(device_pk, ("", ""))[1]
            targets = []
            for rule_metric in _metrics_of(metric, device_type):
                for rule in by_metric.get(rule_metric, ()):
                    if _applies(rule, device_pk, device_type):
                        targets.append(series.setdefault((rule.pk, device_pk), []))
            targets_of[(id(device_pk), metric)] = targets
        for target in targets:
            target.append((moment, value))
    if not series:
        return []
    # Where each (rule, device) stands, locked for this transaction; the alarms of breaches in progress.
    states: dict[tuple[Any, Any], tuple[datetime | None, datetime | None, Any]] = {
        (rule_pk, device_pk): (since, last, alert_pk)
        for rule_pk, device_pk, since, last, alert_pk in AlertRuleState.objects.select_for_update()
        .filter(rule_id__in={key[0] for key in series}, device_id__in={key[1] for key in series})
        .values_list("rule_id", "device_id", "breach_since", "last_timestamp", "alert_id")
    }
    open_pks = [state[2] for state in states.values() if state[2] is not None]
    alerts: dict[Any, Alert] = Alert.objects.in_bulk(open_pks) if open_pks else {}
    raised: list[Alert] = []
    touched: set[str] = set()  # devices whose alarms were raised or cleared
    changed: list[tuple[Any, Any, datetime | None, datetime | None, Any]] = []
    at = itemgetter(0)
    for (rule_pk, device_pk), points in series.items():
        rule = rule_of[rule_pk]
        known = states.get((rule_pk, device_pk))
        before = known or (None, None, None)
        breach_since, last, alert_pk = before
        alert = alerts.get(alert_pk) if alert_pk is not None else None
        meets = OPERATORS[rule.operator]
        threshold = float(rule.threshold or 0.0)
        duration = timedelta(seconds=rule.duration_seconds)
        device_key = devices[device_pk][0]
        points.sort(key=at)  # stable, linear when the batch is in time order already
        for moment, value in points:
            if last is not None and moment <= last:
                continue  # already evaluated: the state moves forward only
            last = moment
            if meets(value, threshold):
                if breach_since is None:
                    breach_since = moment
                if alert is None and moment - breach_since >= duration:
                    alert = _raise(rule, device_key, value=value, moment=moment, since=breach_since)
                    raised.append(alert)
                    touched.add(device_key)
            elif breach_since is not None or alert is not None:
                if alert is not None:
                    _clear(rule, alert, value=value, moment=moment)
                    touched.add(device_key)
                breach_since, alert = None, None
        after = (breach_since, last, alert.pk if alert is not None else None)
        if known is None or after != before:
            changed.append((rule_pk, device_pk, *after))
    if changed:
        _save_states(changed)
    if touched:
        device_status_refresh(organization_id=organization_id, device_keys=touched, receiving=True)
    return raised


def device_status_refresh(*, organization_id: Any, device_keys: Iterable[str], receiving: bool = False) -> None:
    """Set the status of the devices ``device_keys`` of ``organization_id`` from their open alarms (module
    docstring), in two queries. ``receiving``: the devices just sent readings, so an open no-data alarm
    (cleared by the next periodic check) no longer makes them offline."""
    keys = set(device_keys)
    if not keys:
        return
    worst: dict[str, str] = dict.fromkeys(keys, DeviceStatus.NORMAL.value)
    rank: dict[str, int] = {
        DeviceStatus.NORMAL: 0,
        DeviceStatus.WARNING: 1,
        DeviceStatus.CRITICAL: 2,
        DeviceStatus.OFFLINE: 3,
    }
    open_alarms = Alert.objects.filter(
        organization_id=organization_id,
        source=SOURCE,
        subject_type=SUBJECT_TYPE,
        subject_id__in=keys,
        status__in=ACTIVE,
    ).values_list("subject_id", "severity", "data__no_data_minutes")
    for key, severity, no_data in open_alarms:
        status: str
        if no_data is not None:
            status = DeviceStatus.NORMAL if receiving else DeviceStatus.OFFLINE
        elif severity == Severity.CRITICAL:
            status = DeviceStatus.CRITICAL
        elif severity in (Severity.HIGH, Severity.MEDIUM):
            status = DeviceStatus.WARNING
        else:
            status = DeviceStatus.NORMAL
        if rank[status] > rank[worst[key]]:
            worst[key] = status
    by_status: dict[str, list[str]] = defaultdict(list)
    for key, status in worst.items():
        by_status[status].append(key)
    Device.objects.filter(organization_id=organization_id, device_id__in=keys).update(
        status=Case(
            *(When(device_id__in=group, then=Value(status)) for status, group in by_status.items()),
            default=Value(DeviceStatus.NORMAL),
        )
    )


def _save_states(states: Sequence[tuple[Any, Any, datetime | None, datetime | None, Any]]) -> None:
    """Insert or update ``(rule pk, device pk, breach_since, last_timestamp, alert pk)`` states in one
    ``executemany`` (``INSERT ... ON CONFLICT DO UPDATE``, which SQLite and PostgreSQL both speak):
    ``bulk_create(update_conflicts=True)`` compiles every value through the ORM and would cost more
    than the rest of the evaluation."""
    connection = connections[router.db_for_write(AlertRuleState)]
    meta = AlertRuleState._meta
    names = ("rule", "device", "breach_since", "last_timestamp", "alert")
    fields = [field for field in (meta.get_field(name) for name in names) if isinstance(field, ModelField)]
    quote = connection.ops.quote_name
    columns = [quote(str(field.column)) for field in fields]
    table = quote(meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "  # noqa: S608
        f"ON CONFLICT ({columns[0]}, {columns[1]}) DO UPDATE SET "
        + ", ".join(f"{column} = EXCLUDED.{column}" for column in columns[2:])
    )
    params = [
        tuple(field.get_db_prep_save(value, connection) for field, value in zip(fields, state, strict=True))
        for state in states
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


# --- No-data rules (periodic) ---------------------------------------------------------------------


def evaluate_no_data(*, now: datetime | None = None) -> dict[str, int]:
    """Raise the alarm of every enabled no-data rule whose device sent nothing for ``no_data_minutes``
    (counted from its creation when it never did), and clear it once data arrives again."""
    now = now or timezone.now()
    counts = {"raised": 0, "cleared": 0}
    rules = AlertRule.objects.filter(enabled=True, no_data_minutes__isnull=False).select_related("device")
    for rule in rules:
        devices = Device.objects.filter(organization_id=rule.organization_id)
        if rule.device_id is not None:
            devices = devices.filter(pk=rule.device_id)
        elif rule.device_type:
            devices = devices.filter(device_type=rule.device_type)
        limit = now - timedelta(minutes=rule.no_data_minutes or 0)
        states = {state.device_id: state for state in AlertRuleState.objects.filter(rule=rule).select_related("alert")}
        with transaction.atomic():
            for device in devices.only("pk", "device_id", "last_seen", "created_at"):
                seen = device.last_seen or device.created_at
                state = states.get(device.pk) or AlertRuleState(rule=rule, device=device)
                silent = seen < limit
                if silent and state.alert is None:
                    minutes = int((now - seen).total_seconds() // 60)
                    state.alert = alert_raise(
                        WriteContext.system(organization_id=rule.organization_id),
                        organization_id=rule.organization_id,
                        source=SOURCE,
                        alert_type=rule.name,
                        severity=ALERT_SEVERITY.get(rule.severity, Severity.HIGH),
                        title=f"{rule.name} on {device.device_id}",
                        message=f"No data from {device.device_id} for {minutes} minutes ({rule.severity})",
                        subject_type=SUBJECT_TYPE,
                        subject_id=device.device_id,
                        data={
                            "rule_id": str(rule.pk),
                            "rule_name": rule.name,
                            "device_id": device.device_id,
                            "no_data_minutes": rule.no_data_minutes,
                            "last_seen": _iso(seen) if device.last_seen else None,
                            "rule_severity": rule.severity,
                            "triggered_at": _iso(now),
                        },
                    )
                    state.save()
                    counts["raised"] += 1
                elif not silent and state.alert is not None:
                    if state.alert.status != AlertStatus.RESOLVED:
                        alert_resolve(
                            WriteContext.system(organization_id=rule.organization_id),
                            state.alert,
                            notes=f"Cleared automatically: data again at {_iso(seen)}.",
                            roles=None,
                        )
                        counts["cleared"] += 1
                    state.alert = None
                    state.save()
                else:
                    continue
                device_status_refresh(organization_id=rule.organization_id, device_keys=[device.device_id])
    return counts


# --- The twin's alerts ----------------------------------------------------------------------------


def twin_alerts(
    *,
    organization_ids: Iterable[Any],
    severity: str | None = None,
    acknowledged: bool | None = None,
    resolved: bool | None = None,
) -> QuerySet[Alert]:
    """Alerts of ``source="twin"`` in the organizations, newest first."""
    alerts = Alert.objects.filter(organization_id__in=list(organization_ids), source=SOURCE)
    if severity is not None:
        alerts = alerts.filter(severity__in=TWIN_SEVERITY_FILTER[severity])
    if acknowledged is not None:
        alerts = alerts.filter(acknowledged_at__isnull=not acknowledged)
    if resolved is not None:
        alerts = alerts.filter(Q(status=AlertStatus.RESOLVED) if resolved else ~Q(status=AlertStatus.RESOLVED))
    return alerts.order_by("-created_at")


def twin_alert(alert: Alert) -> dict[str, Any]:
    """An alert in the twin document's shape (``timestamp`` is when the rule's condition was met)."""
    data = alert.data or {}
    triggered = data.get("triggered_at")
    return {
        "id": str(alert.pk),
        "device_id": alert.subject_id,
        "rule_name": data.get("rule_name") or alert.alert_type,
        "severity": TWIN_SEVERITY.get(alert.severity, alert.severity),
        "message": alert.message,
        "timestamp": triggered or (_iso(alert.created_at) if alert.created_at else None),
        "acknowledged": alert.acknowledged_at is not None,
        "resolved": alert.status == AlertStatus.RESOLVED,
        "value": data.get("value"),
        "metadata": data,
    }
