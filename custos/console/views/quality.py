"""The quality page, over the quality and device modules' selectors.

* Figures and grade distribution over all the organization's samples (``quality.selectors.stats``).
* Process capability and colour ΔE over the last ``days`` days (1-366, default 7): the headline figures
  are ``quality.selectors.foie_gras_metrics`` of that period, exactly what
  ``/api/dashboard/foie-gras-metrics/?days=`` answers; the charts take the period's latest
  ``CHART_SAMPLES`` samples: Cp/Cpk per run of ``SUBGROUP`` consecutive samples (the same
  ``quality.selectors.capability``) and each sample's stored ΔE.
* The latest graded samples; the page's script (``static/console/quality.js``) opens ``/ws/realtime/``
  and, for each ``sensor_update``, asks ``quality_rows`` for the rows of the announced samples: the server
  answers only those of the console's organization, so the stream's other organizations never show.
* Stations with the firmware version they report, and OTA campaigns with their devices per state and
  progress as the firmware API presents them (``OtaUpdateSerializer``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from custos.console.state import console_page
from custos.console.views.common import require_organization
from custos.devices import firmware
from custos.devices.api.firmware_serializers import OtaUpdateSerializer
from custos.devices.models import Device, OtaUpdate, OtaUpdateLog
from custos.kernel.errors import ValidationFailed
from custos.modules.quality import selectors as quality
from custos.modules.quality.models import QualitySample

SAMPLES_SHOWN = 50
DAYS_DEFAULT, DAYS_MAX = 7, 366  # as /api/dashboard/*?days=
CHART_SAMPLES = 500
SUBGROUP = 25
DELTA_E_ALERT = 8.0  # the dashboard's alert rule: mean ΔE > 8 (notes.md "sqal (004)")
STATIONS_SHOWN = 200
CAMPAIGNS_SHOWN = 20
ROWS_ASKED_MAX = SAMPLES_SHOWN
_DAYS = re.compile(r"[0-9]{1,3}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")


def days_of(request: HttpRequest) -> int:
    raw = request.GET.get("days", str(DAYS_DEFAULT)).strip()
    if not _DAYS.fullmatch(raw) or not 1 <= int(raw) <= DAYS_MAX:
        raise ValidationFailed(f"days: a whole number of days from 1 to {DAYS_MAX}.")
    return int(raw)


def _label(moment: datetime) -> str:
    """A chart label in the console's time zone, as the tables show times."""
    return timezone.localtime(moment).strftime("%m-%d %H:%M:%S")


def capability_runs(heights: list[tuple[Any, float]]) -> list[dict[str, Any]]:
    """Cp/Cpk of each run of ``SUBGROUP`` consecutive heights (oldest first; the last run may be shorter)."""
    runs = []
    for start in range(0, len(heights), SUBGROUP):
        run = heights[start : start + SUBGROUP]
        runs.append(
            {"first": run[0][0], "last": run[-1][0], "count": len(run), **quality.capability([h for _, h in run])}
        )
    return runs


def process_figures(org_ids: list[Any], days: int) -> dict[str, Any]:
    period = quality.samples_of(org_ids).filter(timestamp__gte=quality.period(days))
    recent = list(
        period.order_by("-timestamp").values_list(
            "timestamp", "device__device_id", "sample_id", "avg_height_mm", "delta_e"
        )[:CHART_SAMPLES]
    )
    recent.reverse()
    runs = capability_runs([(row[0], row[3]) for row in recent if row[3] is not None])
    colour: list[dict[str, Any]] = [
        {"time": row[0], "device": row[1], "sample": row[2], "delta_e": row[4], "above": row[4] > DELTA_E_ALERT}
        for row in recent
        if row[4] is not None
    ]
    chart = {
        "capability": {
            "labels": [_label(run["last"]) for run in runs],
            "cp": [run["cp"] for run in runs],
            "cpk": [run["cpk"] for run in runs],
            "capable": quality.CAPABLE_CPK,
            "alert": 1.0,
        },
        "delta_e": {
            "labels": [_label(point["time"]) for point in colour],
            "values": [point["delta_e"] for point in colour],
            "limit": DELTA_E_ALERT,
        },
    }
    metrics = quality.foie_gras_metrics(period)
    mean_delta_e = metrics["color_delta_e"]
    return {
        "days": days,
        "metrics": metrics,
        "delta_e_above": mean_delta_e is not None and mean_delta_e > DELTA_E_ALERT,
        "runs": runs,
        "colour": colour,
        "chart": chart,
        "subgroup": SUBGROUP,
        "chart_samples": CHART_SAMPLES,
        "delta_e_alert": DELTA_E_ALERT,
    }


def stations_of(org_ids: list[Any]) -> tuple[list[dict[str, Any]], int]:
    """The organization's stations (devices that reported a firmware version, sent samples or are in an
    OTA campaign), by key, with the version they report."""
    rows = (
        Device.objects.for_orgs(org_ids)
        .filter(
            Q(metadata__has_key="firmware_version")
            | Exists(QualitySample.objects.filter(device=OuterRef("pk")))
            | Exists(OtaUpdateLog.objects.filter(device=OuterRef("pk")))
        )
        .order_by("device_id")
    )
    shown = [
        {
            "device": device,
            "firmware_version": str((device.metadata or {}).get("firmware_version") or "") or None,
        }
        for device in rows[:STATIONS_SHOWN]
    ]
    return shown, len(shown) if len(shown) < STATIONS_SHOWN else rows.count()


def campaigns_of(org_ids: list[Any]) -> list[dict[str, Any]]:
    """The newest OTA campaigns with ``stats`` (devices per state) and ``progress`` (%), as the API shows them."""
    campaigns = firmware.campaigns_with_figures(OtaUpdate.objects.for_orgs(org_ids)).order_by("-created_at")
    return list(OtaUpdateSerializer(campaigns[:CAMPAIGNS_SHOWN], many=True).data)


@require_GET
@console_page
def quality_page(request: HttpRequest) -> HttpResponse:
    state = require_organization(request)
    days = days_of(request)
    samples = quality.samples_of(state.org_ids)
    figures = quality.stats(samples)
    total = figures["total_analyses"]
    distribution = [
        {"grade": grade, "count": count, "percent": round(100 * count / total, 1) if total else 0.0}
        for grade, count in figures["grade_distribution"].items()
    ]
    latest = list(samples.order_by("-timestamp")[:SAMPLES_SHOWN])
    stations, station_count = stations_of(state.org_ids)
    return render(
        request,
        "console/quality.html",
        {
            "figures": figures,
            "distribution": distribution,
            "samples": latest,
            "samples_shown": SAMPLES_SHOWN,
            "process": process_figures(state.org_ids, days),
            "day_choices": (1, 7, 30, 90),
            "stations": stations,
            "station_count": station_count,
            "campaigns": campaigns_of(state.org_ids),
            "area": "quality",
        },
    )


@require_GET
@console_page
def quality_rows(request: HttpRequest) -> HttpResponse:
    """``?ids=<sample id>,...`` (at most ``ROWS_ASKED_MAX``): the rows of those samples that belong to the
    console's organization, newest first (the live table prepends them). Others are simply absent."""
    state = require_organization(request)
    asked = [part.strip() for part in request.GET.get("ids", "").split(",") if part.strip()]
    if not asked:
        raise ValidationFailed("ids: name at least one sample id.")
    if len(asked) > ROWS_ASKED_MAX:
        raise ValidationFailed(f"ids: at most {ROWS_ASKED_MAX} sample ids.")
    if not all(_UUID.fullmatch(part) for part in asked):
        raise ValidationFailed("ids: sample ids are UUIDs, separated by commas.")
    rows = quality.samples_of(state.org_ids).filter(pk__in=asked).order_by("-timestamp")
    return render(request, "console/_quality_sample_rows.html", {"samples": list(rows)})
