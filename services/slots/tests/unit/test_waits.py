"""The predicted wait: time-weighted per service, a quartile range across recent services of the
same weekday and period, and nothing made up without history."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from liveline_slots.domain.policy import default_policy
from liveline_shared.statistics import quantile
from liveline_slots.domain.waits import MAX_TICK_GAP, SERVICES_KEPT, credits, outdated, predict

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = default_policy("m-1", "Asia/Shanghai")


def test_a_tick_earns_its_wait_for_the_time_until_the_next_one_inside_the_period():
    since = datetime(2015, 3, 24, 18, 0, tzinfo=SHANGHAI)
    [credit] = credits(POLICY, since, since + timedelta(minutes=10), wait_minutes=30)
    assert (credit.service_key, credit.weekday, credit.seconds, credit.wait_seconds) == ("2015-03-24:dinner", "tue", 600, 600 * 30)


def test_time_outside_meal_periods_earns_nothing_and_a_silent_queue_is_believed_for_at_most_the_gap():
    before_dinner = datetime(2015, 3, 24, 16, 50, tzinfo=SHANGHAI)
    [credit] = credits(POLICY, before_dinner, before_dinner + timedelta(hours=3), wait_minutes=20)
    assert credit.seconds == (MAX_TICK_GAP - timedelta(minutes=10)).total_seconds()
    assert credits(POLICY, datetime(2015, 3, 24, 15, 0, tzinfo=SHANGHAI), datetime(2015, 3, 24, 15, 10, tzinfo=SHANGHAI), 5) == []


def service(day: date, wait: float, period: str = "dinner") -> dict:
    return {"date": day.isoformat(), "weekday": ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()],
            "period": period, "covered_s": 3600.0, "wait_s": 3600.0 * wait}


def test_the_prediction_is_the_quartile_range_of_recent_services_of_that_weekday_and_period():
    tuesdays = [date(2015, 3, 24) - timedelta(weeks=n) for n in range(1, 5)]
    services = {f"{day}:dinner": service(day, wait) for day, wait in zip(tuesdays, (10, 20, 30, 40), strict=True)}
    services["2015-03-23:dinner"] = service(date(2015, 3, 23), 90)  # a Monday: not counted
    services["2015-03-17:lunch"] = service(date(2015, 3, 17), 90, "lunch")  # a Tuesday lunch: not counted
    prediction = predict(services, "tue", "dinner", before=date(2015, 3, 24))
    assert (prediction.low_minutes, prediction.high_minutes, prediction.services) == (18, 32, 4)


def test_no_history_no_prediction_and_todays_service_does_not_predict_itself():
    assert predict({}, "tue", "dinner", before=date(2015, 3, 24)) is None
    today = {"2015-03-24:dinner": service(date(2015, 3, 24), 25)}
    assert predict(today, "tue", "dinner", before=date(2015, 3, 24)) is None
    assert predict(today, "tue", "dinner", before=date(2015, 3, 31)).services == 1


def test_a_barely_covered_service_is_not_trusted():
    thin = service(date(2015, 3, 17), 60)
    thin["covered_s"], thin["wait_s"] = 60.0, 3600.0
    assert predict({"2015-03-17:dinner": thin}, "tue", "dinner", before=date(2015, 3, 24)) is None


def test_only_the_newest_services_of_each_weekday_and_period_are_kept():
    tuesdays = [date(2015, 3, 24) - timedelta(weeks=n) for n in range(12)]
    services = {f"{day}:dinner": service(day, 10) for day in tuesdays}
    forgotten = outdated(services)
    assert sorted(forgotten) == sorted(f"{day}:dinner" for day in tuesdays[SERVICES_KEPT + 1:])


def test_quantiles_interpolate_between_ranks():
    assert quantile([10, 20, 30, 40], 0.25) == 17.5
    assert quantile([7], 0.75) == 7
