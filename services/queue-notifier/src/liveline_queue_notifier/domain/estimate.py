"""The wait a party joining a restaurant's queue now can expect, as a range, from the parties
waiting and the recent seatings; and the figure restaurant waitlists quote, to compare with.

Stdlib only and no I/O: it runs on every change of a queue. The method is explained in
docs/wait-estimate.md and scored by bench/waitsim.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import NormalDist

RECENT_SEATINGS_KEPT = 50
"""The service keeps this many of the latest seatings per merchant (and passes those of RECENT_WINDOW)."""
RECENT_WINDOW = timedelta(hours=2)

SIZE_BANDS = ((1, 2), (3, 4), (5, 20))
"""Party sizes that compete for the same tables (a two, a four, a large table), as waitlists show them."""
MAX_PARTY_SIZE = 20
CAP_MINUTES = 240
"""No quote goes past this: a longer figure is no longer an estimate anyone can use."""
MIN_SEATINGS = 8
"""Fewer recent seatings than this and the estimate says it has too little history."""

HIGH_QUANTILE = 0.85
"""The upper bound is the 85th percentile of the predicted wait, so that fewer than one party in
five waits past it even though the pace itself is only estimated. The range is centred on the
median wait (low = 2 x median - high, at least 0): its middle is the single best figure."""
QUEUED_MINUTES = 1.0
"""A party seated after waiting at least this long found every fitting table taken: its seating
is a table turning over, which is what measures the pace."""
BAND_MINUTES = 60.0
"""Recency of each band's pace: a party seated an hour ago weighs 1/e of one seated now."""
PACE_MINUTES = 20.0
"""Recency of the overall pace compared with the last hour's, which lets a sudden change show
within minutes: a seating 20 minutes old weighs 1/e of one now, and minutes of queue without
any seating count too."""
HOUR_MINUTES = 60.0
PACE_PRIOR_SEATINGS = 4.0
"""Pseudo-seatings at the last hour's pace: one long gap between seatings is not yet a new pace."""
PRIOR_SEATINGS = 4.0
"""Pseudo-seatings at the prior pace, so that a band with little history leans on the others."""
PRIOR_HOUR = timedelta(hours=1)
"""Before a band's queue has moved, its tables are taken to free up at the pace they were
filled over the last hour (a table is typically kept about that long)."""
PRIOR_MINUTES_PER_SEATING = 4.0
"""The pace assumed with no history at all: about 15 tables turning over once an hour."""


@dataclass(frozen=True)
class Seated:
    """A party that left the queue by being seated; its real wait is seated_at - joined_at."""

    joined_at: datetime
    seated_at: datetime
    size: int


@dataclass(frozen=True)
class Waiting:
    """A party still waiting, in queue order."""

    joined_at: datetime
    size: int


@dataclass(frozen=True)
class WaitEstimate:
    """A range of whole minutes centred on the median wait, its top the 85th percentile; 0-0 means
    a table is most likely free. With enough_history False, show "not enough history" or the
    (wide, cautious) range marked as such."""

    low_minutes: int
    high_minutes: int
    enough_history: bool
    basis: int
    """How many recent seatings the estimate rests on."""


def band_of(size: int) -> int:
    """The index in SIZE_BANDS of a party of `size` people (sizes outside 1..20 are clamped)."""
    size = min(max(size, 1), MAX_PARTY_SIZE)
    return next(i for i, (low, high) in enumerate(SIZE_BANDS) if low <= size <= high)


def estimate_wait(
    now: datetime,
    waiting: Sequence[Waiting],
    recent: Sequence[Seated],
    party_size: int = 2,
    recent_no_shows: int = 0,
) -> WaitEstimate:
    """The wait of a party of `party_size` joining the queue now (behind every `waiting` party).

    `recent_no_shows`: parties called and removed as no-shows over the same window as `recent`;
    they let the estimate expect that some of the parties ahead will not be there when called.
    """
    seatings = _usable(now, recent)
    band = band_of(party_size)
    start = _observed_from(now, seatings, len(recent))
    rate, certainty = _band_rate(now, start, band, seatings)
    rate *= _pace(now, start, waiting, seatings)

    no_show_share = recent_no_shows / (recent_no_shows + len(seatings) + 1)
    ahead = sum(1 for party in waiting if band_of(party.size) == band)
    turnovers_needed = ahead * (1 - no_show_share) + 1
    tables_full = 1.0 if ahead else _chance_tables_still_full(now, band, seatings, rate)

    middle = _wait_quantile(0.5, tables_full, turnovers_needed, rate, certainty)
    high = _wait_quantile(HIGH_QUANTILE, tables_full, turnovers_needed, rate, certainty)
    low = 2 * middle - high
    low_minutes = math.floor(min(max(low, 0.0), CAP_MINUTES))
    high_minutes = max(low_minutes, math.ceil(min(high, CAP_MINUTES)))
    return WaitEstimate(low_minutes, high_minutes, len(seatings) >= MIN_SEATINGS, len(seatings))


def baseline_wait_minutes(now: datetime, waiting: Sequence[Waiting], recent: Sequence[Seated]) -> float | None:
    """What restaurant waitlists quote: parties ahead x the recent mean interval between seatings.

    0 with nobody ahead; None when parties wait but fewer than two recent seatings give an interval.
    """
    if not waiting:
        return 0.0
    seated_at = sorted(s.seated_at for s in _usable(now, recent))
    if len(seated_at) < 2:
        return None
    mean_interval = (seated_at[-1] - seated_at[0]).total_seconds() / 60 / (len(seated_at) - 1)
    return len(waiting) * mean_interval


def _usable(now: datetime, recent: Sequence[Seated]) -> list[Seated]:
    """Seatings of the window that make sense (seated after joining, not in the future), oldest first."""
    return sorted(
        (s for s in recent if now - RECENT_WINDOW <= s.seated_at <= now and s.joined_at <= s.seated_at),
        key=lambda s: s.seated_at,
    )


def _observed_from(now: datetime, seatings: list[Seated], kept: int) -> datetime:
    """Since when every seating is known: the window, or the oldest kept seating when the service
    had to drop older ones."""
    if kept >= RECENT_SEATINGS_KEPT and seatings:
        return seatings[0].seated_at
    return now - RECENT_WINDOW


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def _queued(seating: Seated) -> bool:
    return _minutes(seating.seated_at - seating.joined_at) >= QUEUED_MINUTES


def _turnovers_while_queuing(
    now: datetime, start: datetime, waiting: Sequence[Waiting], seatings: list[Seated], tau: float
) -> tuple[float, float]:
    """Recency-weighted seatings of parties that queued, and weighted minutes during which anyone
    was queuing (the current queue included, up to now): their ratio is the pace at which the
    tables free up, and a queue that stopped moving lowers it at once."""

    def weight(moment: datetime) -> float:
        return math.exp(-_minutes(now - moment) / tau)

    turnovers = sum(weight(s.seated_at) for s in seatings if _queued(s) and s.seated_at > start)
    spans = [(s.joined_at, s.seated_at) for s in seatings if _queued(s)]
    spans += [(w.joined_at, now) for w in waiting if w.joined_at < now]
    exposure, covered_until = 0.0, start
    for begin, end in sorted(spans):
        begin = max(begin, covered_until)
        if end > begin:
            exposure += tau * (weight(end) - weight(begin))
            covered_until = end
    return turnovers, exposure


def _pace(now: datetime, start: datetime, waiting: Sequence[Waiting], seatings: list[Seated]) -> float:
    """How much faster (above 1) or slower the tables turn over lately than over the last hour."""
    turnovers, exposure = _turnovers_while_queuing(now, start, waiting, seatings, HOUR_MINUTES)
    hour_rate = (turnovers + PRIOR_SEATINGS) / (exposure + PRIOR_SEATINGS * PRIOR_MINUTES_PER_SEATING)
    turnovers, exposure = _turnovers_while_queuing(now, start, waiting, seatings, PACE_MINUTES)
    recent_rate = (turnovers + PACE_PRIOR_SEATINGS) / (exposure + PACE_PRIOR_SEATINGS / hour_rate)
    return recent_rate / hour_rate


def _band_rate(now: datetime, start: datetime, band: int, seatings: list[Seated]) -> tuple[float, float]:
    """Parties of the band seated per minute of queue, and how many (weighted) seatings that rests on.

    Each recent party of the band that queued says how fast its queue moved: the parties of the
    band ahead of it when it joined, plus itself, seated in the time it waited. Recent parties
    weigh more. With little such history the rate leans on a prior: the tables the band can use
    (those taken by parties of its size or larger over the last hour) freeing up as fast as they
    were filled.
    """
    queued = [s for s in seatings if band_of(s.size) == band and _queued(s)]
    seated, waited = 0.0, 0.0
    for party in queued:
        ahead = sum(1 for other in queued if other.joined_at < party.joined_at < other.seated_at)
        weight = math.exp(-_minutes(now - party.seated_at) / BAND_MINUTES)
        seated += weight * (ahead + 1)
        waited += weight * _minutes(party.seated_at - party.joined_at)

    last_hour = [s for s in seatings if s.seated_at > max(start, now - PRIOR_HOUR)]
    overall = (len(last_hour) + 1) / (_minutes(PRIOR_HOUR) + PRIOR_MINUTES_PER_SEATING)
    usable = sum(1 for s in last_hour if band_of(s.size) >= band)
    prior_rate = overall * (usable + 1) / (len(last_hour) + 1)
    return (seated + PRIOR_SEATINGS) / (waited + PRIOR_SEATINGS / prior_rate), seated + PRIOR_SEATINGS


def _chance_tables_still_full(now: datetime, band: int, seatings: list[Seated], rate: float) -> float:
    """With nobody of the band waiting: the chance that no table for it has freed since the band's
    queue last emptied (tables free up about at random, `rate` a minute)."""
    last_queued = [s.seated_at for s in seatings if band_of(s.size) == band and _queued(s)]
    if not last_queued:
        return 0.0
    return math.exp(-rate * _minutes(now - max(last_queued)))


def _wait_quantile(quantile: float, tables_full: float, turnovers: float, rate: float, certainty: float) -> float:
    """The `quantile` of the wait: 0 while a table is free, else the time for `turnovers` tables to
    free up at a rate known from `certainty` seatings (a gamma wait with a gamma-uncertain rate)."""
    if quantile <= 1 - tables_full:
        return 0.0
    within = (quantile - (1 - tables_full)) / tables_full
    return turnovers / rate * _f_quantile(within, 2 * turnovers, 2 * certainty)


def _f_quantile(quantile: float, d1: float, d2: float) -> float:
    """Quantile of the F(d1, d2) distribution, by Paulson's normal approximation."""
    z = NormalDist().inv_cdf(min(max(quantile, 1e-6), 1 - 1e-6))
    c1, c2 = 2 / (9 * d1), 2 / (9 * d2)
    a, b = 1 - c2, 1 - c1
    denominator = a * a - z * z * c2
    if denominator <= 0:
        return math.inf
    root = (a * b + z * math.sqrt(max(a * a * c1 + b * b * c2 - z * z * c1 * c2, 0.0))) / denominator
    return max(root, 0.0) ** 3

