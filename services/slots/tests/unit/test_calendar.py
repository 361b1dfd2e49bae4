"""The slot list of S102: the document's example, the cut-off, closed days, the voucher's
validity, and time zones across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from liveline_slots.domain.calendar import upcoming_slots
from liveline_slots.domain.errors import InvalidPolicy
from liveline_slots.domain.policy import MealPeriod, SlotPolicy, default_policy

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def local(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)


def listed(slots) -> list[tuple[str, str]]:
    return [(slot.local_date.isoformat(), slot.period) for slot in slots]


def test_the_documents_example_an_order_on_the_morning_of_2015_03_24_lists_lunch_and_dinner_of_each_day():
    policy = default_policy("m-1", "Asia/Shanghai")
    slots = upcoming_slots(policy, local(SHANGHAI, 2015, 3, 24, 9, 30))
    days = [f"2015-03-{day}" for day in range(24, 31)]
    assert listed(slots) == [(day, period) for day in days for period in ("lunch", "dinner")]
    first = slots[0]
    assert first.slot_id == "m-1:2015-03-24:lunch"
    assert (first.local_start, first.local_end) == (datetime(2015, 3, 24, 11), datetime(2015, 3, 24, 14))
    assert (first.starts_at, first.ends_at) == (datetime(2015, 3, 24, 3, tzinfo=UTC), datetime(2015, 3, 24, 6, tzinfo=UTC))
    assert slots[1].starts_at == datetime(2015, 3, 24, 9, tzinfo=UTC)


def test_an_order_at_20_45_gets_that_days_dinner_only_if_the_cut_off_allows_it():
    at_20_45 = local(SHANGHAI, 2015, 3, 24, 20, 45)
    default = upcoming_slots(default_policy("m-1", "Asia/Shanghai"), at_20_45)
    assert listed(default)[0] == ("2015-03-25", "lunch")
    generous = SlotPolicy(merchant_id="m-1", timezone="Asia/Shanghai", cutoff_minutes=4 * 60)
    assert listed(upcoming_slots(generous, at_20_45))[0] == ("2015-03-24", "dinner")
    # The cut-off never offers a slot that has ended.
    after_the_end = upcoming_slots(generous, local(SHANGHAI, 2015, 3, 24, 21, 0))
    assert listed(after_the_end)[0] == ("2015-03-25", "lunch")


def test_a_slot_is_offered_until_its_cut_off_and_not_after():
    policy = default_policy("m-1", "Asia/Shanghai")
    assert listed(upcoming_slots(policy, local(SHANGHAI, 2015, 3, 24, 11, 29)))[0] == ("2015-03-24", "lunch")
    assert listed(upcoming_slots(policy, local(SHANGHAI, 2015, 3, 24, 11, 30)))[0] == ("2015-03-24", "dinner")


def test_closed_weekdays_and_dates_are_left_out_and_days_ahead_bounds_the_list():
    policy = SlotPolicy(
        merchant_id="m-1", timezone="Asia/Shanghai", days_ahead=3,
        closed_weekdays=frozenset({"wed"}), closed_dates=frozenset({date(2015, 3, 26)}),
    )
    # 2015-03-24 is a Tuesday: Wednesday the 25th and the 26th are closed, and 3 days end on the 26th.
    assert listed(upcoming_slots(policy, local(SHANGHAI, 2015, 3, 24, 9, 30))) == [
        ("2015-03-24", "lunch"), ("2015-03-24", "dinner"),
    ]


def test_only_slots_inside_the_vouchers_validity_are_offered():
    policy = default_policy("m-1", "Asia/Shanghai")
    now = local(SHANGHAI, 2015, 3, 24, 9, 30)
    slots = upcoming_slots(policy, now, valid_from=local(SHANGHAI, 2015, 3, 25, 0, 0),
                           valid_until=local(SHANGHAI, 2015, 3, 26, 12, 0))
    assert listed(slots) == [("2015-03-25", "lunch"), ("2015-03-25", "dinner"), ("2015-03-26", "lunch")]


def test_named_periods_of_any_number_are_offered_in_time_order():
    policy = SlotPolicy(
        merchant_id="m-1", timezone="Asia/Shanghai", days_ahead=1,
        periods=(MealPeriod("late-night", time(22), time(23, 59)), MealPeriod("breakfast", time(7), time(9, 30)),
                 MealPeriod("lunch", time(11), time(14))),
    )
    assert [slot.period for slot in upcoming_slots(policy, local(SHANGHAI, 2015, 3, 24, 6))] == [
        "breakfast", "lunch", "late-night",
    ]


@pytest.mark.parametrize(
    ("first_day", "before", "after"),
    [
        # Clocks go forward on 2015-03-08 (EST -5 to EDT -4) and back on 2015-11-01.
        (date(2015, 3, 6), -5, -4),
        (date(2015, 10, 30), -4, -5),
    ],
)
def test_new_york_across_daylight_saving_changes_has_every_slot_once_at_the_right_instant(first_day, before, after):
    policy = default_policy("m-ny", "America/New_York")
    slots = upcoming_slots(policy, datetime.combine(first_day, time(8), tzinfo=NEW_YORK))
    days = [first_day + timedelta(days=n) for n in range(7)]
    assert listed(slots) == [(day.isoformat(), period) for day in days for period in ("lunch", "dinner")]
    assert len({slot.slot_id for slot in slots}) == 14
    for slot in slots:
        offset = before if slot.local_date < days[2] else after
        start_hour = {"lunch": 11, "dinner": 17}[slot.period]
        assert slot.starts_at == datetime.combine(slot.local_date, time(start_hour), tzinfo=UTC) - timedelta(hours=offset)
        assert slot.ends_at - slot.starts_at == timedelta(hours=3 if slot.period == "lunch" else 4)


def test_a_period_inside_the_spring_forward_gap_keeps_its_length_on_the_wall_clock():
    policy = SlotPolicy(merchant_id="m-ny", timezone="America/New_York", days_ahead=1,
                        periods=(MealPeriod("night", time(1, 30), time(4, 0)),))
    [slot] = upcoming_slots(policy, local(NEW_YORK, 2015, 3, 8, 0, 0))
    # 01:30 EST is 06:30Z and 04:00 EDT is 08:00Z: one hour of the period never happened.
    assert (slot.starts_at, slot.ends_at) == (datetime(2015, 3, 8, 6, 30, tzinfo=UTC), datetime(2015, 3, 8, 8, tzinfo=UTC))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"periods": (MealPeriod("lunch", time(11), time(14)), MealPeriod("brunch", time(13), time(15)))}, "overlap"),
        ({"periods": (MealPeriod("lunch", time(14), time(11)),)}, "start before"),
        ({"periods": (MealPeriod("Lunch!", time(11), time(14)),)}, "not a period name"),
        ({"periods": (MealPeriod("lunch", time(11), time(12)), MealPeriod("lunch", time(13), time(14)))}, "same name"),
        ({"days_ahead": 0}, "days ahead"),
        ({"days_ahead": 61}, "days ahead"),
        ({"timezone": "Mars/Olympus"}, "IANA"),
        ({"closed_weekdays": frozenset({"someday"})}, "unknown weekdays"),
        ({"capacity": 0}, "capacity"),
    ],
)
def test_a_policy_that_breaks_a_rule_is_refused_with_the_reason(change, message):
    with pytest.raises(InvalidPolicy, match=message):
        SlotPolicy(**{"merchant_id": "m-1", "timezone": "Asia/Shanghai", **change})
