"""The slots service's HTTP contract: the slot policy a merchant's staff edit, the offer a buyer
reads and the choice they make. The gateway validates requests with these models and the slots
service answers with them. Local times are the merchant's wall-clock times; instants are UTC.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

PERIOD_NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MAX_PERIODS = 8
MAX_CLOSED_DATES = 400
MAX_DAYS_AHEAD = 60
MAX_CHOSEN_SLOTS = 20
SLOT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}:\d{4}-\d{2}-\d{2}:[a-z][a-z0-9_-]{0,31}$"


def is_period_name(name: str) -> bool:
    return re.fullmatch(PERIOD_NAME_PATTERN, name) is not None


class _Input(BaseModel):
    # A misspelt field is an error, not silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class MealPeriodIn(_Input):
    name: str = Field(pattern=PERIOD_NAME_PATTERN, description="The period's name: lunch, dinner, breakfast, late-night …")
    start: str = Field(pattern=LOCAL_TIME_PATTERN, description="Local start time, HH:MM (24-hour clock).")
    end: str = Field(pattern=LOCAL_TIME_PATTERN, description="Local end time, HH:MM, after the start on the same day.")

    def start_time(self) -> time:
        return time.fromisoformat(self.start)

    def end_time(self) -> time:
        return time.fromisoformat(self.end)


class SlotPolicyIn(_Input):
    timezone: str = Field(min_length=1, max_length=64, description="The merchant's IANA time zone, e.g. Asia/Shanghai.")
    periods: list[MealPeriodIn] = Field(
        min_length=1, max_length=MAX_PERIODS, description="Meal periods of a day; they must not overlap."
    )
    days_ahead: int = Field(ge=1, le=MAX_DAYS_AHEAD, description="How many days, today included, an offer covers.")
    closed_weekdays: list[Weekday] = Field(default=[], max_length=7, description="Weekdays the merchant is closed.")
    closed_dates: list[date] = Field(
        default=[], max_length=MAX_CLOSED_DATES, description="Local dates the merchant is closed (holidays)."
    )
    capacity: int | None = Field(
        default=None, ge=1, le=10_000, description="Orders a slot takes at most (null: no limit)."
    )
    cutoff_minutes: int = Field(
        default=30, ge=0, le=24 * 60, description="A slot is no longer offered or chosen this long after it starts."
    )


class MealPeriodOut(BaseModel):
    name: str
    start: str = Field(description="Local start time (HH:MM).")
    end: str = Field(description="Local end time (HH:MM).")


class SlotPolicyOut(BaseModel):
    merchant_id: str
    timezone: str
    periods: list[MealPeriodOut]
    days_ahead: int
    closed_weekdays: list[Weekday]
    closed_dates: list[date]
    capacity: int | None
    cutoff_minutes: int
    updated_at: AwareDatetime | None = Field(description="When staff last changed it (null: the default policy).")


class PredictedWaitOut(BaseModel):
    low_minutes: int = Field(description="The lower quartile (p25) of past services' typical waits.")
    high_minutes: int = Field(description="The upper quartile (p75) of past services' typical waits.")
    services: int = Field(description="How many past services of this weekday and period it rests on.")


class OfferedSlotOut(BaseModel):
    slot_id: str
    meal_period: str
    local_date: date
    local_start: str = Field(description="Start in the merchant's local time (YYYY-MM-DDTHH:MM).")
    local_end: str = Field(description="End in the merchant's local time (YYYY-MM-DDTHH:MM).")
    timezone: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    remaining_capacity: int | None = Field(description="Places left when the merchant caps slots (null: no cap).")
    predicted_wait: PredictedWaitOut | None = Field(description="Typical wait at this weekday and period; null without history.")
    choosable: bool = Field(description="Whether it can still be chosen now (not past its cut-off).")


class ChoiceOut(BaseModel):
    offer_id: str
    slot_ids: list[str]
    chosen_at: AwareDatetime


OfferReason = Literal["purchase", "missed_slot", "requested"]
OrderSlotsStatus = Literal["open", "redeemed", "refunded", "expired"]


class OfferOut(BaseModel):
    order_id: str
    merchant_id: str
    offer_id: str
    reason: OfferReason
    offered_at: AwareDatetime
    status: OrderSlotsStatus
    slots: list[OfferedSlotOut] = Field(description="The slots on offer, earliest first.")
    choice: ChoiceOut | None = Field(description="The slots chosen from this offer, if any.")


class Choose(_Input):
    offer_id: str = Field(min_length=1, max_length=64, description="The offer the slots are chosen from.")
    slot_ids: list[str] = Field(
        min_length=1, max_length=MAX_CHOSEN_SLOTS, description="One or several slot ids of that offer."
    )
