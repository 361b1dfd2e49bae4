"""The wait quoted to a party joining a restaurant's queue, and the waitlists' usual figure beside it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from liveline_queue_notifier.domain.estimate import (
    CAP_MINUTES,
    RECENT_SEATINGS_KEPT,
    RECENT_WINDOW,
    Seated,
    Waiting,
    WaitEstimate,
    band_of,
    baseline_wait_minutes,
    estimate_wait,
)

T0 = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)


def minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


def steady_history(until: datetime, every: float, waited: float, count: int = 40, size: int = 2) -> list[Seated]:
    """`count` parties of `size`, one seated every `every` minutes up to `until`, each after `waited`."""
    return [
        Seated(until - minutes(every * i + waited), until - minutes(every * i), size) for i in reversed(range(count))
    ]


def queue(now: datetime, parties: int, every: float, size: int = 2) -> list[Waiting]:
    """`parties` of `size` waiting, the first joined longest ago, one joining every `every` minutes."""
    return [Waiting(now - minutes(every * (parties - i)), size) for i in range(parties)]


def middle(estimate: WaitEstimate) -> float:
    return (estimate.low_minutes + estimate.high_minutes) / 2


def test_with_no_history_it_says_so_and_still_gives_a_sane_range():
    estimate = estimate_wait(T0, queue(T0, 4, every=3), [], party_size=2)
    assert not estimate.enough_history
    assert estimate.basis == 0
    assert 0 <= estimate.low_minutes <= estimate.high_minutes <= CAP_MINUTES
    assert estimate.high_minutes > 0, "four parties ahead is not 'no wait'"


def test_an_empty_restaurant_with_no_history_quotes_no_wait():
    estimate = estimate_wait(T0, [], [], party_size=2)
    assert (estimate.low_minutes, estimate.high_minutes, estimate.enough_history) == (0, 0, False)


def test_a_steady_pace_gives_a_range_around_the_real_wait():
    # One party seated every 3 minutes for two hours, each after 30 minutes (10 parties ahead of it);
    # a party joining behind 10 waiting parties is seated after 11 more seatings: 33 minutes.
    now = T0
    estimate = estimate_wait(now, queue(now, 10, every=3), steady_history(now - minutes(1), every=3, waited=30))
    assert estimate.enough_history
    assert estimate.basis == 40
    assert estimate.low_minutes <= 33 <= estimate.high_minutes
    assert abs(middle(estimate) - 33) <= 6
    assert estimate.high_minutes - estimate.low_minutes <= 30, "a range too wide to plan by"


def slowed_down(after_minutes: int) -> tuple[WaitEstimate, WaitEstimate]:
    """Quotes at T0 and `after_minutes` later, when at T0 seatings went from every 3 minutes to every 9
    (a section closed) while the queue stays 10 parties long."""
    before = steady_history(T0, every=3, waited=30)
    after = before + [Seated(T0 + minutes(m - 90), T0 + minutes(m), 2) for m in range(9, after_minutes + 1, 9)]
    later = T0 + minutes(after_minutes)
    return estimate_wait(T0, queue(T0, 10, every=3), before), estimate_wait(later, queue(later, 10, every=9), after)


def test_a_slowdown_raises_the_estimate_within_ten_minutes_and_further_as_it_lasts():
    quoted_before, quoted_later = slowed_down(10)
    assert middle(quoted_later) >= 1.15 * middle(quoted_before)
    quoted_before, quoted_later = slowed_down(30)
    assert middle(quoted_later) >= 1.4 * middle(quoted_before)


def test_a_speedup_lowers_the_estimate_within_ten_minutes():
    # A terrace opens at T0: for 10 minutes a party is seated every minute.
    before = steady_history(T0, every=3, waited=30)
    quoted_before = estimate_wait(T0, queue(T0, 10, every=3), before)
    after = before + [Seated(T0 + minutes(m - 25), T0 + minutes(m), 2) for m in range(1, 11)]
    later = T0 + minutes(10)
    quoted_later = estimate_wait(later, queue(later, 10, every=1.5), after)
    assert middle(quoted_later) <= 0.8 * middle(quoted_before)


@pytest.mark.parametrize("seed", range(30))
def test_never_negative_never_past_the_cap_and_low_not_above_high(seed):
    rng = random.Random(seed)
    now = T0
    recent = []
    for _ in range(rng.randrange(0, 60)):
        seated_at = now - minutes(rng.uniform(-10, 150))  # some in the future or older than the window
        recent.append(Seated(seated_at - minutes(rng.uniform(-5, 200)), seated_at, rng.randint(1, 20)))
    waiting = [Waiting(now - minutes(rng.uniform(0, 300)), rng.randint(1, 20)) for _ in range(rng.randrange(0, 300))]
    for party_size in (1, 2, 4, 6, 20):
        estimate = estimate_wait(now, waiting, recent, party_size, recent_no_shows=rng.randrange(0, 10))
        assert 0 <= estimate.low_minutes <= estimate.high_minutes <= CAP_MINUTES
        assert 0 <= estimate.basis <= len(recent)


def test_a_queue_far_too_long_is_quoted_at_the_cap_not_beyond():
    estimate = estimate_wait(T0, queue(T0, 400, every=0.5), steady_history(T0, every=3, waited=30))
    assert estimate.high_minutes == CAP_MINUTES


def test_a_large_party_waits_longer_when_large_tables_are_scarce():
    # Tables for two turn over every 2 minutes, large tables every 20; two parties of each wait.
    now = T0
    recent = steady_history(now, every=2, waited=6, count=40, size=2)
    recent += steady_history(now - minutes(1), every=20, waited=40, count=6, size=6)
    waiting = queue(now, 2, every=3, size=2) + queue(now, 2, every=10, size=6)
    two = estimate_wait(now, waiting, recent, party_size=2)
    six = estimate_wait(now, waiting, recent, party_size=6)
    assert middle(six) >= middle(two) + 20
    assert six.high_minutes > two.high_minutes


def test_nobody_of_the_size_waiting_and_tables_freed_long_ago_means_no_wait():
    recent = steady_history(T0 - minutes(45), every=3, waited=20)
    estimate = estimate_wait(T0, [], recent, party_size=2)
    assert estimate.high_minutes <= 1


def test_expected_no_shows_shorten_the_estimate():
    recent = steady_history(T0, every=3, waited=30)
    waiting = queue(T0, 20, every=3)
    assert middle(estimate_wait(T0, waiting, recent, recent_no_shows=10)) < middle(estimate_wait(T0, waiting, recent))


def test_seatings_out_of_the_window_or_inconsistent_are_not_counted():
    recent = steady_history(T0, every=3, waited=30, count=10)
    recent += [
        Seated(T0 - RECENT_WINDOW - minutes(40), T0 - RECENT_WINDOW - minutes(5), 2),
        Seated(T0, T0 + minutes(5), 2),
        Seated(T0 - minutes(5), T0 - minutes(10), 2),
    ]
    assert estimate_wait(T0, [], recent).basis == 10


def test_the_estimate_rests_on_the_seatings_kept():
    recent = steady_history(T0, every=2, waited=30, count=RECENT_SEATINGS_KEPT)
    estimate = estimate_wait(T0, queue(T0, 15, every=2), recent)
    assert estimate.basis == RECENT_SEATINGS_KEPT
    assert estimate.low_minutes <= 32 <= estimate.high_minutes


@pytest.mark.parametrize(("size", "band"), [(1, 0), (2, 0), (3, 1), (4, 1), (5, 2), (8, 2), (20, 2)])
def test_party_sizes_fall_into_the_waitlist_bands(size, band):
    assert band_of(size) == band


def test_the_baseline_is_parties_ahead_times_the_mean_interval_between_seatings():
    recent = [Seated(T0 - minutes(60), T0 - minutes(m), 2) for m in (16, 12, 8, 4, 0)]
    assert baseline_wait_minutes(T0, queue(T0, 3, every=5), recent) == pytest.approx(12.0)


def test_the_baseline_quotes_no_wait_with_nobody_ahead_and_nothing_without_an_interval():
    assert baseline_wait_minutes(T0, [], []) == 0.0
    assert baseline_wait_minutes(T0, queue(T0, 3, every=5), [Seated(T0 - minutes(9), T0, 2)]) is None
