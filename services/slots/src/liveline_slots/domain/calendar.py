"""Usage-time slots on the merchant's calendar: each meal period of each open day, in local time
and as UTC instants, correct across daylight-saving changes.

A local time is turned into an instant with the merchant's zone (zoneinfo). A local time that
does not exist (inside a spring-forward gap) is read with the offset before the gap, so it lands
that much later on the clock; a local time that exists twice (a fall-back hour) is its first
occurrence. Meal periods rarely come near either, but a slot is never missing or doubled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .policy import MealPeriod, SlotPolicy

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def slot_id(merchant_id: str, day: date, period: str) -> str:
    """Stable: the same merchant, local date and period name always give the same id."""
    return f"{merchant_id}:{day.isoformat()}:{period}"


@dataclass(frozen=True)
class Slot:
    merchant_id: str
    local_date: date
    period: str
    timezone: str
    local_start: datetime  # naive, the merchant's wall clock
    local_end: datetime
    starts_at: datetime  # UTC
    ends_at: datetime

    @property
    def slot_id(self) -> str:
        return slot_id(self.merchant_id, self.local_date, self.period)

    def open_at(self, now: datetime, cutoff_minutes: int) -> bool:
        """Whether the slot can still be offered or chosen at `now`: before its cut-off and its end."""
        return now < min(self.starts_at + timedelta(minutes=cutoff_minutes), self.ends_at)


def instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time in `zone` (see the module's note on gaps and folds)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def slot_of(policy: SlotPolicy, day: date, period: MealPeriod) -> Slot:
    return Slot(
        merchant_id=policy.merchant_id,
        local_date=day,
        period=period.name,
        timezone=policy.timezone,
        local_start=datetime.combine(day, period.start),
        local_end=datetime.combine(day, period.end),
        starts_at=instant(day, period.start, policy.zone),
        ends_at=instant(day, period.end, policy.zone),
    )


def local_today(policy: SlotPolicy, now: datetime) -> date:
    return now.astimezone(policy.zone).date()


def upcoming_slots(
    policy: SlotPolicy, now: datetime, *, valid_from: datetime | None = None, valid_until: datetime | None = None
) -> list[Slot]:
    """Every meal period of every open day from today (local) through `days_ahead` days, earliest
    first, without slots past their cut-off and slots outside the voucher's validity (a slot is
    kept when the voucher is valid during some part of it)."""
    today = local_today(policy, now)
    periods = sorted(policy.periods, key=lambda period: period.start)
    slots = []
    for offset in range(policy.days_ahead):
        day = today + timedelta(days=offset)
        if policy.is_closed(day):
            continue
        for period in periods:
            slot = slot_of(policy, day, period)
            if not slot.open_at(now, policy.cutoff_minutes):
                continue
            if valid_until is not None and slot.starts_at >= valid_until:
                continue
            if valid_from is not None and slot.ends_at <= valid_from:
                continue
            slots.append(slot)
    return slots


def local_text(moment: datetime) -> str:
    return moment.strftime(LOCAL_FORMAT)
