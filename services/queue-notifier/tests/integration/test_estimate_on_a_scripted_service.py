"""The estimate the live state shows, on a scripted dinner service run through the handlers on
the real database with a manual clock: none too early, then a range holding the real wait."""

from __future__ import annotations

from datetime import timedelta

from liveline_queue_notifier import handlers
from tests.callers import staff
from tests.queue_support import INTERNAL_TOKEN
from tests.service_tests import new_merchant


async def test_a_steady_service_is_estimated_around_its_real_wait(deps, order_client):
    merchant_id = await new_merchant(order_client, INTERNAL_TOKEN, "Asia/Shanghai")
    host = staff(merchant_id)
    clock = deps.clock
    start = clock.now()
    state, _ = await handlers.live_state_of(merchant_id, deps)
    assert state.estimate.enough_history is False  # no seating yet: it says so

    # A party of two every 2 minutes; from minute 20 the oldest is seated every 2 minutes: each
    # party then waits about 20 minutes.
    waits = []
    for minute in range(0, 90, 2):
        clock.set(start + timedelta(minutes=minute))
        await handlers.add_party(merchant_id, handlers.AddParty(size=2), host, deps)
        if minute >= 20:
            queue = await deps.queues.get(merchant_id)
            oldest = queue.parties[0]
            await handlers.change_party(merchant_id, oldest.party_id, "seat", host, deps)
            waits.append((clock.now() - oldest.joined_at).total_seconds() / 60)
    state, stale = await handlers.live_state_of(merchant_id, deps)
    real = waits[-1]
    assert state.estimate.enough_history and not stale
    assert state.estimate.low_minutes <= real <= state.estimate.high_minutes, (state.estimate, real)
    assert state.estimate.high_minutes < 3 * real  # a range, not a shrug
    assert state.waiting_parties == 10 and state.longest_wait_minutes == 18
