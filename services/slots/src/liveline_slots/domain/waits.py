"""The predicted wait of a slot, learned from the merchant's QueueTick history.

Each QueueTick says the estimated wait for a party joining at that moment; the figure holds
until the next tick (for at most `MAX_TICK_GAP`, so a queue system that fell silent is not
believed for hours). Every stretch of time is credited to the meal period it falls in: a
*service* is one period of one local day, and its figure is its time-weighted mean wait.

The predicted wait of a future slot is the range of the figures of the most recent past
services of the same weekday and period (at most `SERVICES_KEPT`, each covered by ticks for at
least `MIN_COVERED`): their lower and upper quartiles, and how many services they are. With no
such service there is no prediction (null), never a made-up one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from liveline_shared.contracts.slots import WEEKDAYS
from liveline_shared.statistics import quantile

from .calendar import slot_of
from .policy import SlotPolicy

MAX_TICK_GAP = timedelta(minutes=15)
MIN_COVERED = timedelta(minutes=10)
SERVICES_KEPT = 8


@dataclass(frozen=True)
class Credit:
    """Seconds of one service covered by a tick, and those seconds weighted by its wait (minutes)."""

    service_key: str
    local_date: date
    period: str
    seconds: float
    wait_seconds: float

    @property
    def weekday(self) -> str:
        return WEEKDAYS[self.local_date.weekday()]


@dataclass(frozen=True)
class Prediction:
    low_minutes: int
    high_minutes: int
    services: int


def service_key(day: date, period: str) -> str:
    return f"{day.isoformat()}:{period}"


def credits(policy: SlotPolicy, since: datetime, until: datetime, wait_minutes: float) -> list[Credit]:
    """What a tick measured at `since` earns until the next one at `until` (capped at MAX_TICK_GAP)."""
    end = min(until, since + MAX_TICK_GAP)
    if end <= since:
        return []
    first_day = since.astimezone(policy.zone).date()
    last_day = end.astimezone(policy.zone).date()
    earned = []
    day = first_day
    while day <= last_day:
        for period in policy.periods:
            slot = slot_of(policy, day, period)
            overlap = (min(end, slot.ends_at) - max(since, slot.starts_at)).total_seconds()
            if overlap > 0:
                earned.append(Credit(service_key(day, period.name), day, period.name, overlap, overlap * wait_minutes))
        day += timedelta(days=1)
    return earned



def predict(services: Mapping[str, Mapping[str, Any]], weekday: str, period: str, before: date) -> Prediction | None:
    """The predicted wait for a slot at `weekday` and `period` from the services before `before`."""
    figures = [
        service["wait_s"] / service["covered_s"]
        for service in recent(services.values(), weekday, period, before)
    ]
    if not figures:
        return None
    return Prediction(round(quantile(figures, 0.25)), round(quantile(figures, 0.75)), len(figures))


def recent(services: Iterable[Mapping[str, Any]], weekday: str, period: str, before: date) -> list[Mapping[str, Any]]:
    matching = [
        service for service in services
        if service["weekday"] == weekday and service["period"] == period
        and date.fromisoformat(service["date"]) < before
        and service["covered_s"] >= MIN_COVERED.total_seconds()
    ]
    return sorted(matching, key=lambda service: service["date"], reverse=True)[:SERVICES_KEPT]


def outdated(services: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Keys of services beyond the newest SERVICES_KEPT of their weekday and period (to forget)."""
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for key, service in services.items():
        groups.setdefault((service["weekday"], service["period"]), []).append((service["date"], key))
    old = []
    for entries in groups.values():
        old.extend(key for _, key in sorted(entries, reverse=True)[SERVICES_KEPT + 1:])
    return old
