"""The scheduler's handlers in this process on a manual clock: every moment of a slot pushed once
however often the scheduler runs, the ones worked after their time marked late, a slot of a
merchant nobody knows dropped without holding up the others, and the missed-slot check."""

from __future__ import annotations

from datetime import timedelta

from liveline_queue_notifier import handlers
from liveline_shared.outbox import pending_events
from tests.callers import customer, staff
from tests.queue_support import INTERNAL_TOKEN, slot_chosen, slot_window
from tests.random_refs import suffix
from tests.service_tests import new_merchant


async def _run_until_idle(deps) -> None:
    for _ in range(50):
        if not await handlers.run_due(deps):
            return
    raise AssertionError("the scheduler kept finding work")


async def test_every_moment_is_pushed_once_late_ones_marked_and_an_unknown_merchant_holds_up_nothing(deps, order_client):
    merchant_id = await new_merchant(order_client, INTERNAL_TOKEN)
    await handlers.set_push_policy(merchant_id, 60, 30, staff(merchant_id), deps)
    clock, now = deps.clock, deps.now()
    start = now + timedelta(minutes=5)
    buyer, stranger = customer(), customer()
    slot = slot_window(merchant_id, start, start + timedelta(minutes=2), period=f"p{suffix()}")
    ghost = f"ghost{suffix()}"
    choice = slot_chosen(merchant_id, buyer, slot)
    await handlers.subscribe_choice(choice, deps)
    await handlers.subscribe_choice(slot_chosen(ghost, stranger, slot_window(ghost, start, start + timedelta(minutes=2))), deps)
    await handlers.subscribe_choice(choice, deps)  # a redelivery files nothing twice

    clock.set(start - timedelta(seconds=60))
    await _run_until_idle(deps)
    await _run_until_idle(deps)
    page = await handlers.inbox_of(buyer, 100, None, deps)
    assert [e.moment_at for e, _ in page.notifications] == [start - timedelta(seconds=60)]
    assert not page.notifications[0][0].late and page.unread == 1

    clock.set(start + timedelta(minutes=10))  # the notifier was away for the rest of the slot
    await _run_until_idle(deps)
    page = await handlers.inbox_of(buyer, 100, None, deps)
    moments = [start + timedelta(seconds=s) for s in (-60, -30, 0, 30, 60, 90)]
    assert [e.moment_at for e, _ in reversed(page.notifications)] == moments
    assert [e.late for e, _ in reversed(page.notifications)] == [False] + [True] * 5
    assert [e.seq for e, _ in reversed(page.notifications)] == sorted({e.seq for e, _ in page.notifications})
    assert (await handlers.inbox_of(stranger, 100, None, deps)).total == 0

    # The last slot ended, the grace passed, no redemption: SlotMissed waits in the order's outbox.
    clock.set(start + timedelta(minutes=2) + deps.missed_grace + timedelta(seconds=1))
    await _run_until_idle(deps)
    order = await deps.schedules.order(choice.order_id)
    assert order["_outbox_pending"] == 1 and '"SlotMissed"' in pending_events(order)[0].body
    await _run_until_idle(deps)
    assert (await deps.schedules.order(choice.order_id))["_outbox_pending"] == 1


async def test_a_users_inbox_index_keeps_the_newest_and_stays_bounded(deps):
    from liveline_queue_notifier.adapters.inbox import KEEP, TRIM_SLACK

    user = f"heavy-{suffix()}"
    added = [f"note-{n:04d}" for n in range(KEEP["notifications"] + TRIM_SLACK + 5)]
    for notification_id in added:
        await deps.inbox.add_to_user(user, "notifications", notification_id)
    await deps.inbox.add_to_user(user, "notifications", added[-1])  # a retry adds nothing
    listed = (await deps.inbox.user(user))["notifications"]
    assert len(listed) <= KEEP["notifications"] + TRIM_SLACK and listed[-1] == added[-1]
    assert listed == added[-len(listed):], "the newest kept, in order, once"
