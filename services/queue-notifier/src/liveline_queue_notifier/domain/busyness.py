"""How busy a merchant is by weekday and hour, learned from its QueueTicks: absolute people
waiting and minutes of wait, not a relative 0-100 score.

A tick's figures hold until the next tick (for at most `MAX_TICK_GAP`). Each stretch is credited
to the local hour it falls in on its local day: a *service hour* (one hour of one day) gets its
covered seconds, and its people and wait weighted by them. The typical figure of a weekday and
hour is the median of the most recent past days' time-weighted means (at most `DAYS_KEPT`, each
covered for at least `MIN_COVERED`), with their quartiles as the range and their number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from liveline_shared.statistics import quantile

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS = range(24)
MAX_TICK_GAP = timedelta(minutes=15)
MIN_COVERED = timedelta(minutes=10)
DAYS_KEPT = 8


@dataclass(frozen=True)
class Credit:
    weekday: str
    hour: int
    local_date: date
    seconds: float
    people_seconds: float
    wait_seconds: float | None  # None when the tick had no wait figure

    @property
    def cell(self) -> str:
        return f"{self.weekday}:{self.hour:02d}"


@dataclass(frozen=True)
class HourFigure:
    weekday: str
    hour: int
    people: float  # median of the days' mean people waiting
    people_low: float
    people_high: float
    wait_low_minutes: int | None
    wait_high_minutes: int | None
    days: int


def credits(zone: ZoneInfo, since: datetime, until: datetime, people: int, wait_minutes: int | None) -> list[Credit]:
    """What a tick measured at `since` earns until the next one at `until`, hour by local hour."""
    end = min(until, since + MAX_TICK_GAP)
    earned = []
    moment = since
    while moment < end:
        local = moment.astimezone(zone)
        boundary = (local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).astimezone(UTC)
        if boundary <= moment:  # a wall clock that went back: move on by the hour
            boundary = moment + timedelta(hours=1)
        stop = min(boundary, end)
        seconds = (stop - moment).total_seconds()
        earned.append(Credit(WEEKDAYS[local.weekday()], local.hour, local.date(), seconds, seconds * people,
                             None if wait_minutes is None else seconds * wait_minutes))
        moment = stop
    return earned



def figure(weekday: str, hour: int, days: Mapping[str, Mapping[str, Any]], before: date) -> HourFigure | None:
    """The typical figure of one weekday and hour from the days before `before` (today is live)."""
    usable = sorted(
        ((day, entry) for day, entry in days.items()
         if date.fromisoformat(day) < before and entry.get("covered_s", 0) >= MIN_COVERED.total_seconds()),
        reverse=True,
    )[:DAYS_KEPT]
    if not usable:
        return None
    people = [entry["people_s"] / entry["covered_s"] for _, entry in usable]
    waits = [entry["wait_s"] / entry["wait_covered_s"] for _, entry in usable if entry.get("wait_covered_s")]
    return HourFigure(
        weekday, hour, round(quantile(people, 0.5), 1), round(quantile(people, 0.25), 1), round(quantile(people, 0.75), 1),
        round(quantile(waits, 0.25)) if waits else None, round(quantile(waits, 0.75)) if waits else None, len(usable),
    )


def outdated(days: Mapping[str, Any]) -> list[str]:
    """Days beyond the newest DAYS_KEPT + 1 (today, still live) of a cell: to forget."""
    return sorted(days, reverse=True)[DAYS_KEPT + 1:]
