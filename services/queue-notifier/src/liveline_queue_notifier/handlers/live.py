"""The live state anyone may read, and the QueueTicks that carry it: one with every change of a
waitlist, a heartbeat while parties wait, and the ticks outside queue systems publish for
merchants that do not use the waitlist."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import structlog

from liveline_shared.events import QueueTick
from liveline_shared.log_context import current_correlation_id
from liveline_shared.outbox import aware

from ..adapters.queues import COLLECTION as LIVE_QUEUES
from ..domain.estimate import WaitEstimate
from ..domain.waitlist import LiveQueue, LiveState, live_state, new_queue
from .dependencies import Dependencies
from .zones import timezone_of

log = structlog.get_logger(__name__)

PRODUCER = "queue-notifier"


def queue_tick(queue: LiveQueue, now: datetime, *, heartbeat: bool = False) -> QueueTick:
    state = live_state(queue, now)
    estimate = state.estimate
    return QueueTick(
        occurred_at=now, producer=PRODUCER, correlation_id=current_correlation_id() or "",
        merchant_id=queue.merchant_id, waiting_parties=state.waiting_parties, waiting_people=state.waiting_people,
        estimated_wait_minutes=(estimate.low_minutes + estimate.high_minutes) // 2,
        estimated_wait_low_minutes=estimate.low_minutes, estimated_wait_high_minutes=estimate.high_minutes,
        enough_history=estimate.enough_history, longest_wait_minutes=state.longest_wait_minutes,
        calling_ticket=state.calling, heartbeat=heartbeat,
    )


async def live_state_of(merchant_id: str, deps: Dependencies) -> tuple[LiveState, bool]:
    """The merchant's queue now, and whether the figures are stale (an outside system went quiet).

    A merchant whose staff run the waitlist is described by it; one whose queue system publishes
    QueueTicks, by the newest of those, with the time it was measured.
    """
    now = deps.now()
    document = await deps.queues.get_document(merchant_id)
    queue = await deps.queues.get(merchant_id)
    external = (document or {}).get("external")
    if queue is not None and (queue.parties or external is None or aware(external["at"]) <= aware(document["last_tick_at"])):
        return live_state(queue, now), False
    if external is not None:
        state = _external_state(merchant_id, external)
        return state, now - state.measured_at > deps.stale_after
    timezone = await timezone_of(merchant_id, deps)  # 404 for a merchant nobody knows
    return live_state(new_queue(merchant_id, timezone, now), now), False


def _external_state(merchant_id: str, tick: dict[str, Any]) -> LiveState:
    low, high = tick.get("low"), tick.get("high")
    if low is None or high is None:
        low = high = tick.get("wait")
    known = low is not None
    return LiveState(
        merchant_id=merchant_id, waiting_parties=tick["parties"], waiting_people=tick["people"], bands=(),
        longest_wait_minutes=tick.get("longest") or 0, calling=tick.get("calling"),
        estimate=WaitEstimate(low or 0, high or 0, bool(known and tick.get("enough", True)), 0),
        measured_at=aware(tick["at"]), source="external",
    )


async def record_external_tick(event: QueueTick, deps: Dependencies) -> None:
    """A QueueTick from an outside queue system becomes the merchant's live state (the service's
    own ticks describe a state it already holds)."""
    if event.producer == PRODUCER:
        return
    tick = {"at": event.occurred_at, "parties": event.waiting_parties, "people": event.waiting_people,
            "wait": event.estimated_wait_minutes, "low": event.estimated_wait_low_minutes,
            "high": event.estimated_wait_high_minutes, "enough": event.enough_history,
            "longest": event.longest_wait_minutes, "calling": event.calling_ticket}
    await deps.queues.record_external(event.merchant_id, tick, str(event.event_id))
    log.info("external_queue_tick", merchant_id=event.merchant_id, waiting_parties=event.waiting_parties)


async def heartbeat(deps: Dependencies) -> dict[str, int]:
    """A QueueTick for every queue with parties waiting whose last tick is older than
    `heartbeat_every` (the maintenance job). A queue that changed meanwhile needs none."""
    sent = 0
    for merchant_id in await deps.queues.active():
        now = deps.now()
        document = await deps.queues.get_document(merchant_id)
        queue = await deps.queues.get(merchant_id)
        if queue is None or not queue.parties:
            await deps.queues.mark_active(merchant_id, False)
            continue
        if now - aware(document["last_tick_at"]) < deps.heartbeat_every:  # type: ignore[index]
            continue
        lease = deps.write_lease()
        if await deps.queues.save(replace(queue), (queue_tick(queue, now, heartbeat=True),), now, lease):
            deps.notify(LIVE_QUEUES, merchant_id, lease)
            sent += 1
    return {"heartbeats": sent} if sent else {}
