"""Placeholder of the wait estimator (replaced by the estimator branch at merge)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

RECENT_SEATINGS_KEPT = 50
RECENT_WINDOW = timedelta(hours=2)


@dataclass(frozen=True)
class Seated:
    joined_at: datetime
    seated_at: datetime
    size: int


@dataclass(frozen=True)
class Waiting:
    joined_at: datetime
    size: int


@dataclass(frozen=True)
class WaitEstimate:
    low_minutes: int
    high_minutes: int
    enough_history: bool
    basis: int


def estimate_wait(now: datetime, waiting: Sequence[Waiting], recent: Sequence[Seated], party_size: int = 2) -> WaitEstimate:
    if len(recent) < 3:
        return WaitEstimate(0, 5 * (len(waiting) + 1), False, len(recent))
    ordered = sorted(seat.seated_at for seat in recent)
    interval = (ordered[-1] - ordered[0]).total_seconds() / 60 / max(len(ordered) - 1, 1)
    point = interval * (len(waiting) + 1)
    return WaitEstimate(max(int(point * 0.7), 0), min(int(point * 1.3) + 1, 240), True, len(recent))


def baseline_wait_minutes(now: datetime, waiting: Sequence[Waiting], recent: Sequence[Seated]) -> float | None:
    return None
