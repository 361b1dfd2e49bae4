"""A merchant's slot policy: its time zone, named meal periods, how many days ahead an offer
reaches, closed weekdays and dates, an optional capacity per slot and the cut-off after a slot
starts. Pure rules; the policy is stored by adapters/policies.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from liveline_shared.contracts.slots import MAX_DAYS_AHEAD, MAX_PERIODS, WEEKDAYS, is_period_name

from .errors import InvalidPolicy


@dataclass(frozen=True)
class MealPeriod:
    name: str
    start: time
    end: time


DEFAULT_PERIODS = (MealPeriod("lunch", time(11, 0), time(14, 0)), MealPeriod("dinner", time(17, 0), time(21, 0)))
DEFAULT_DAYS_AHEAD = 7
DEFAULT_CUTOFF_MINUTES = 30


@dataclass(frozen=True)
class SlotPolicy:
    merchant_id: str
    timezone: str
    periods: tuple[MealPeriod, ...] = DEFAULT_PERIODS
    days_ahead: int = DEFAULT_DAYS_AHEAD
    closed_weekdays: frozenset[str] = frozenset()
    closed_dates: frozenset[date] = frozenset()
    capacity: int | None = None
    cutoff_minutes: int = DEFAULT_CUTOFF_MINUTES
    # None until staff change it: the default policy in the merchant's time zone.
    updated_at: datetime | None = None
    version: int = 0
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", zone_of(self.timezone))
        check_policy(self)

    def is_closed(self, day: date) -> bool:
        return day in self.closed_dates or WEEKDAYS[day.weekday()] in self.closed_weekdays

    def period(self, name: str) -> MealPeriod | None:
        return next((period for period in self.periods if period.name == name), None)


def default_policy(merchant_id: str, timezone: str) -> SlotPolicy:
    return SlotPolicy(merchant_id=merchant_id, timezone=timezone)


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidPolicy(f"{name!r} is not an IANA time zone (like Asia/Shanghai)") from None


def check_policy(policy: SlotPolicy) -> None:
    """Raises InvalidPolicy for the first rule the policy breaks."""
    if not 1 <= len(policy.periods) <= MAX_PERIODS:
        raise InvalidPolicy(f"a policy has 1 to {MAX_PERIODS} meal periods")
    if not 1 <= policy.days_ahead <= MAX_DAYS_AHEAD:
        raise InvalidPolicy(f"days ahead must be 1 to {MAX_DAYS_AHEAD}")
    if policy.capacity is not None and policy.capacity < 1:
        raise InvalidPolicy("a capacity is at least 1 (or null for no limit)")
    if policy.cutoff_minutes < 0:
        raise InvalidPolicy("the cut-off is zero or more minutes")
    unknown = set(policy.closed_weekdays) - set(WEEKDAYS)
    if unknown:
        raise InvalidPolicy(f"unknown weekdays {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
    names = [period.name for period in policy.periods]
    if len(set(names)) != len(names):
        raise InvalidPolicy("two meal periods have the same name")
    for period in policy.periods:
        if not is_period_name(period.name):
            raise InvalidPolicy(f"{period.name!r} is not a period name (lower-case letters, digits, - and _)")
        if period.start.tzinfo is not None or period.end.tzinfo is not None:
            raise InvalidPolicy("meal periods are local times, without an offset")
        if not period.start < period.end:
            raise InvalidPolicy(f"{period.name} must start before it ends (on the same day)")
    ordered = sorted(policy.periods, key=lambda period: period.start)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if later.start < earlier.end:
            raise InvalidPolicy(f"{earlier.name} and {later.name} overlap")
