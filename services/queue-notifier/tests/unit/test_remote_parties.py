"""Parties that join from a push, without I/O: one per order, where each stands in its band, and
the outcome its buyer reads once it left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from liveline_queue_notifier.domain import waitlist
from liveline_queue_notifier.domain.errors import AlreadyJoined

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def _queue_with_walk_ins(*sizes: int) -> waitlist.LiveQueue:
    queue = waitlist.new_queue("m1", "Asia/Shanghai", NOW)
    for k, size in enumerate(sizes):
        queue, _ = waitlist.add_party(queue, f"walk-in-{k}", size, NOW)
    return queue


def test_a_remote_party_stands_behind_the_waiting_parties_of_its_band_only():
    queue = _queue_with_walk_ins(2, 6, 1, 4)
    queue, party = waitlist.add_remote_party(queue, "order-1", "user-1", "p-remote", 2, NOW)
    assert (party.ticket, party.remote, party.order_id) == ("A003", True, "order-1")
    assert waitlist.position(queue, party) == 3  # A001 and A002 ahead; C001 and B001 wait for other tables
    queue = waitlist.call(queue, "walk-in-0", NOW)  # called: being seated, no longer ahead
    state = waitlist.ticket_state(queue, "order-1")
    assert state is not None and (state.status, state.position) == ("waiting", 2)
    queue = waitlist.call(queue, "p-remote", NOW)
    assert waitlist.ticket_state(queue, "order-1").position == 0  # type: ignore[union-attr]


def test_an_order_joins_once_and_its_outcome_stays_after_it_leaves():
    queue, _ = waitlist.add_remote_party(_queue_with_walk_ins(), "order-1", "user-1", "p-remote", 3, NOW)
    with pytest.raises(AlreadyJoined):
        waitlist.add_remote_party(queue, "order-1", "user-1", "p-other", 3, NOW)
    queue = waitlist.leave(queue, "p-remote", "seated", NOW + timedelta(minutes=5))
    state = waitlist.ticket_state(queue, "order-1")
    assert state is not None and (state.record.ticket, state.status, state.position) == ("B001", "seated", 0)
    assert waitlist.ticket_state(queue, "order-2") is None


def test_a_left_remote_party_is_forgotten_after_a_week_but_a_waiting_one_is_not():
    queue, _ = waitlist.add_remote_party(_queue_with_walk_ins(), "old-left", "u", "p1", 2, NOW)
    queue, _ = waitlist.add_remote_party(queue, "old-waiting", "u", "p2", 2, NOW)
    queue = waitlist.leave(queue, "p1", "cancelled", NOW)
    later = NOW + waitlist.REMOTE_KEPT + timedelta(minutes=1)
    queue, _ = waitlist.add_remote_party(queue, "new", "u", "p3", 2, later)
    assert set(queue.remote) == {"old-waiting", "new"}
