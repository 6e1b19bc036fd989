"""When a schedule runs next: daily, weekly or monthly at a time of day in UTC (pure functions)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from custos.reports.choices import Frequency


@dataclass(frozen=True)
class Recurrence:
    frequency: str
    hour: int
    minute: int
    day_of_week: int | None = None  # 0 = Monday
    day_of_month: int | None = None  # 1-31; a shorter month runs on its last day


def _at(day: date, rule: Recurrence) -> datetime:
    return datetime.combine(day, time(rule.hour, rule.minute), tzinfo=UTC)


def _month_day(year: int, month: int, wanted: int) -> date:
    return date(year, month, min(wanted, calendar.monthrange(year, month)[1]))


def next_run(rule: Recurrence, *, after: datetime) -> datetime:
    """The first run strictly after ``after``."""
    after = after.astimezone(UTC)
    today = after.date()
    if rule.frequency == Frequency.DAILY:
        candidate = _at(today, rule)
        return candidate if candidate > after else candidate + timedelta(days=1)
    if rule.frequency == Frequency.WEEKLY:
        assert rule.day_of_week is not None
        ahead = (rule.day_of_week - today.weekday()) % 7
        candidate = _at(today + timedelta(days=ahead), rule)
        return candidate if candidate > after else candidate + timedelta(days=7)
    if rule.frequency == Frequency.MONTHLY:
        assert rule.day_of_month is not None
        candidate = _at(_month_day(today.year, today.month, rule.day_of_month), rule)
        if candidate > after:
            return candidate
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
        return _at(_month_day(year, month, rule.day_of_month), rule)
    raise ValueError(f"unknown frequency {rule.frequency!r}")
