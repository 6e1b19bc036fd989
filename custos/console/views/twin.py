"""Twin pages: the fleet grid with status and open alarms, a device's history, acknowledging alarms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from custos.alerts.services import alert_acknowledge
from custos.console.state import console_page, is_htmx, write_context
from custos.console.views.common import one_of, require_organization
from custos.devices import selectors as devices
from custos.devices.choices import DEFAULT_METRIC
from custos.devices.models import Device
from custos.devices.rules import twin_alerts
from custos.kernel.errors import ValidationFailed

ALARMS_SHOWN = 50
RANGES = {"1": 1, "6": 6, "24": 24, "168": 168}  # hours
INTERVALS = {"raw": None, "60": 60, "300": 300, "3600": 3600}  # seconds
AGGREGATES = ("avg", "min", "max", "count")
HISTORY_POINTS = 500
METRIC = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
CHART_WIDTH, CHART_HEIGHT = 600, 160


def _alarm_rows(alerts: Any) -> list[Any]:
    return list(alerts.select_related("acknowledged_by")[:ALARMS_SHOWN])


def _cards(org_ids: list[Any]) -> list[dict[str, Any]]:
    fleet_rows = list(devices.with_latest_reading(Device.objects.for_orgs(org_ids)).order_by("device_id"))
    counts = dict(
        twin_alerts(organization_ids=org_ids, resolved=False)
        .order_by()
        .values_list("subject_id")
        .annotate(n=Count("id"))
    )
    return [{"device": device, "open_alarms": counts.get(device.device_id, 0)} for device in fleet_rows]


@require_GET
@console_page
def fleet(request: HttpRequest) -> HttpResponse:
    state = require_organization(request)
    alarms = _alarm_rows(twin_alerts(organization_ids=state.org_ids, resolved=False))
    return render(
        request, "console/twin_fleet.html", {"cards": _cards(state.org_ids), "alarms": alarms, "area": "twin"}
    )


@require_GET
@console_page
def fleet_grid(request: HttpRequest) -> HttpResponse:
    """The fleet grid alone (refreshed on ``dashboard_update`` and alarm events, or polled)."""
    state = require_organization(request)
    return render(request, "console/_fleet_grid.html", {"cards": _cards(state.org_ids)})


@require_GET
@console_page
def alarms_panel(request: HttpRequest) -> HttpResponse:
    """The open alarms table alone (refreshed by the fleet page)."""
    state = require_organization(request)
    alarms = _alarm_rows(twin_alerts(organization_ids=state.org_ids, resolved=False))
    return render(request, "console/_alarms.html", {"alarms": alarms})


@dataclass(frozen=True)
class Chart:
    points: str
    minimum: float
    maximum: float
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT


def chart_of(timestamps: list[datetime], values: list[Any]) -> Chart | None:
    """An SVG polyline of the series (time on x, value on y), scaled into the chart box."""
    pairs = [(ts.timestamp(), float(v)) for ts, v in zip(timestamps, values, strict=True) if v is not None]
    if len(pairs) < 2:
        return None
    t0, t1 = pairs[0][0], pairs[-1][0]
    low, high = min(v for _, v in pairs), max(v for _, v in pairs)
    span_t = (t1 - t0) or 1.0
    span_v = (high - low) or 1.0
    points = " ".join(
        f"{(t - t0) / span_t * CHART_WIDTH:.1f},{CHART_HEIGHT - (v - low) / span_v * CHART_HEIGHT:.1f}"
        for t, v in pairs
    )
    return Chart(points=points, minimum=low, maximum=high)


@require_GET
@console_page
def device_detail(request: HttpRequest, device_id: str) -> HttpResponse:
    state = require_organization(request)
    device = devices.device_get(organization_ids=state.org_ids, device_id=device_id)
    hours_raw = request.GET.get("hours", "24")
    interval_raw = request.GET.get("interval", "raw")
    agg = request.GET.get("agg", "avg")
    metric = request.GET.get("metric", DEFAULT_METRIC)
    if not METRIC.match(metric) or hours_raw not in RANGES or interval_raw not in INTERVALS or agg not in AGGREGATES:
        raise ValidationFailed(
            "Choose a metric name (letters, digits, _ . -), "
            f"a range among {sorted(RANGES, key=int)} hours, an interval among {list(INTERVALS)} "
            f"and an aggregation among {list(AGGREGATES)}."
        )
    series = devices.reading_series(
        device=device,
        metric=metric,
        hours=RANGES[hours_raw],
        interval_seconds=INTERVALS[interval_raw],
        agg=agg,
        limit=HISTORY_POINTS,
    )
    rows = list(zip(series.timestamps, series.values, strict=True))
    alarms = _alarm_rows(twin_alerts(organization_ids=state.org_ids).filter(subject_id=device.device_id))
    context = {
        "device": device,
        "rows": rows,
        "chart": chart_of(series.timestamps, series.values),
        "hours": hours_raw,
        "interval": interval_raw,
        "agg": agg,
        "metric": metric,
        "ranges": list(RANGES),
        "intervals": list(INTERVALS),
        "aggregates": AGGREGATES,
        "alarms": alarms,
        "area": "twin",
    }
    return render(request, "console/twin_device.html", context)


@require_POST
@console_page
def acknowledge(request: HttpRequest, alert_id: str) -> HttpResponse:
    """Acknowledge a twin alarm (a member's write, as ``POST /api/alerts/acknowledge/{id}``)."""
    state = require_organization(request)
    alert = one_of(twin_alerts(organization_ids=state.org_ids), alert_id, what="Alert")
    alert = alert_acknowledge(write_context(request), alert)
    if is_htmx(request):
        return render(request, "console/_alarm_row.html", {"alarm": alert})
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/console/") and "//" not in back else reverse("console:fleet"))
