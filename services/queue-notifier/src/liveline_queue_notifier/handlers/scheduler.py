"""The scheduler: every pass reads the due-moment buckets of the minutes from the cursor to now,
by `_id`; an instance leases a bucket with due items, works them and lets go. A slot's moment is
ONE read of the merchant's live state, stored once with its recipients (the still-subscribed,
unmuted buyers), then numbered and published to all of them in one batch (handlers/inbox.py);
then the slot's next moment is filed and the slot moved past this one. Each step can be
repeated after a crash without a second push: a moment stored or published before is not again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any

import structlog

from liveline_shared.events import SlotMissed, SlotWindow
from liveline_shared.log_context import current_correlation_id
from liveline_shared.outbox import aware

from ..adapters.inbox import MOMENTS
from ..adapters.schedules import ORDERS
from ..domain.errors import MerchantNotFound
from ..domain.pushes import bucket_of, bucket_start, moment_key, next_moment, push_content
from .dependencies import Dependencies
from .inbox import PRODUCER, publish_in_order
from .live import live_state_of
from .subscriptions import MISSED_ITEM, QUEUE_ITEM, file

log = structlog.get_logger(__name__)

# The cursor stays this far behind now, so an item filed in "this minute" as the minute turns is
# never behind it.
CURSOR_MARGIN = timedelta(minutes=2)
# How many due moments are prepared (or finished) at once.
PARALLEL_MOMENTS = 32


def _parse(entry: str) -> tuple[str, datetime, str]:
    kind, moment, subject_id = entry.split("|", 2)
    return kind, aware(datetime.fromisoformat(moment)), subject_id


async def run_due(deps: Dependencies) -> dict[str, int]:
    """One pass of the scheduler (the service runs it every SCHEDULER_TICK_S)."""
    now = deps.now()
    current = bucket_of(now)
    cursor = await deps.schedules.cursor(bucket_of(now - CURSOR_MARGIN))
    first_open: str | None = None
    worked = 0
    minute = bucket_start(cursor)
    while (bucket_id := bucket_of(minute)) <= current:
        bucket = await deps.schedules.bucket(bucket_id)
        pending = _pending(bucket)
        due = [entry for entry in pending if _parse(entry)[1] <= now]
        if due:
            worked += await _work(bucket_id, deps)
            pending = _pending(await deps.schedules.bucket(bucket_id))
        if first_open is None and pending:
            first_open = bucket_id
        minute += timedelta(minutes=1)
    safe = bucket_of(now - CURSOR_MARGIN)
    target = min(first_open or safe, safe)
    if target > cursor:
        await deps.schedules.move_cursor(cursor, target)
    return {"pushed_items": worked} if worked else {}


def _pending(bucket: dict[str, Any] | None) -> list[str]:
    if bucket is None:
        return []
    done = set(bucket.get("done", []))
    return sorted((entry for entry in bucket.get("items", []) if entry not in done), key=lambda e: _parse(e)[1])


async def _work(bucket_id: str, deps: Dependencies) -> int:
    bucket = await deps.schedules.claim(bucket_id, deps.scheduler_id, deps.now(), deps.bucket_lease)
    if bucket is None:
        return 0  # another instance holds it
    try:
        due = [entry for entry in _pending(bucket) if _parse(entry)[1] <= deps.now()]
        queue_items = [entry for entry in due if _parse(entry)[0] == QUEUE_ITEM]
        # The moments due together are stored side by side, then numbered and published in one batch.
        prepared = await _limited(deps, [_prepare(entry, deps) for entry in queue_items])
        moments = [moment for moment in prepared if isinstance(moment, Prepared)]
        if moments:
            try:
                await publish_in_order(MOMENTS, [moment.moment_id for moment in moments], deps)
            except Exception as error:  # noqa: BLE001 - Kafka or the database away: the next pass retries them
                log.warning("push_moments_not_published", moments=len(moments), error=f"{type(error).__name__}: {error}")
                moments = []
        finished = await _limited(deps, [_finish(moment, deps) for moment in moments])
        done = [moment.entry for moment, result in zip(moments, finished, strict=True) if result is True]
        done += [entry for entry, result in zip(queue_items, prepared, strict=True) if result is None]  # nothing to push
        for entry in due:
            if _parse(entry)[0] == MISSED_ITEM and await _run(entry, check_missed(_parse(entry)[2], _parse(entry)[1], deps)):
                done.append(entry)
        await _limited(deps, [deps.schedules.done(bucket_id, entry) for entry in done])
        return len(done)
    finally:
        await deps.schedules.release(bucket_id, deps.scheduler_id)


class Prepared:
    """A due moment whose content is stored (or was, before a crash), ready to be published."""

    def __init__(self, entry: str, slot: dict[str, Any], moment: datetime, moment_id: str, content: dict[str, Any]) -> None:
        self.entry, self.slot, self.moment, self.moment_id, self.content = entry, slot, moment, moment_id, content


async def _limited(deps: Dependencies, steps: list[Any]) -> list[Any]:
    """Runs the steps a few at a time (each is a handful of database round trips)."""
    results: list[Any] = []
    for start in range(0, len(steps), PARALLEL_MOMENTS):
        results += await asyncio.gather(*steps[start:start + PARALLEL_MOMENTS])
    return results


async def _run(entry: str, step: Awaitable[Any], *, done: Any = True) -> Any:
    """The step's result (`done` when it returns None, and for a merchant the order service does
    not know: nothing to read, ever), or False after logging why it failed (one item's failure
    holds up no other)."""
    try:
        result = await step
        return done if result is None else result
    except MerchantNotFound:
        log.warning("push_dropped_merchant_unknown", item=entry)
        return done
    except Exception as error:  # noqa: BLE001 - the next pass retries it
        log.warning("push_item_failed", item=entry, error=f"{type(error).__name__}: {error}")
        return False


async def _prepare(entry: str, deps: Dependencies) -> Prepared | None | bool:
    """Stores what the moment says (one read of the merchant's live state) with its recipients;
    None when there is nothing to push (a repeated or superseded item), False on failure."""
    _, moment, slot_id = _parse(entry)

    async def prepare() -> Prepared | None:
        slot = await deps.schedules.slot(slot_id)
        if slot is None or slot.get("next_at") is None or aware(slot["next_at"]) != moment:
            return None  # moved past this moment before
        moment_id = f"{slot_id}@{moment_key(moment)}"
        content = await deps.inbox.moment(moment_id)
        if content is None:
            state, stale = await live_state_of(slot["merchant_id"], deps)
            now = deps.now()
            recipients = {order_id: sub["user_id"] for order_id, sub in (slot.get("subscribers") or {}).items()
                          if not sub.get("muted")}
            content = await deps.inbox.store_moment(moment_id, {
                **push_content(slot=slot, moment=moment, state=state, stale=stale, previous=slot.get("last"),
                               late=now - moment > deps.late_after),
                "worked_at": now, "recipients": recipients,
            })
        await deps.schedules.add_moment(slot_id, moment_id)  # before it is numbered: from then on it is listed
        return Prepared(entry, slot, moment, moment_id, content)

    return await _run(entry, prepare(), done=None)


async def _finish(prepared: Prepared, deps: Dependencies) -> bool:
    """After publication: the slot's next moment filed, the slot moved past this one."""
    async def finish() -> None:
        slot, moment, content = prepared.slot, prepared.moment, prepared.content
        following = next_moment(moment, aware(slot["ends_at"]), slot["cadence_s"])
        if following is not None:
            await file(QUEUE_ITEM, following, slot["_id"], deps)
        last = {"waiting_parties": content["waiting_parties"], "waiting_people": content["waiting_people"]}
        await deps.schedules.advance(slot["_id"], moment, following, last)
        log.info("push_moment", slot_id=slot["_id"], moment=moment.isoformat(), recipients=len(content["recipients"]),
                 late=bool(content.get("late")))

    return bool(await _run(prepared.entry, finish()))


async def check_missed(order_id: str, due_at: datetime, deps: Dependencies) -> None:
    """The order's last chosen slot ended `missed_grace` ago: without a redemption (or a newer
    choice), SlotMissed, in the order's document (its outbox)."""
    order = await deps.schedules.order(order_id)
    if order is None or order.get("status") != "active" or aware(order["missed_at"]) != due_at:
        return
    event = SlotMissed(occurred_at=deps.now(), producer=PRODUCER, correlation_id=current_correlation_id() or "",
                       order_id=order_id, user_id=order["user_id"], merchant_id=order["merchant_id"],
                       slot=SlotWindow.model_validate(order["last_slot"]))
    key = moment_key(due_at)
    lease = deps.write_lease()
    if await deps.schedules.save_order(order_id, {"missed": key}, (event,), now=deps.now(),
                                       only_if={"status": "active", "missed": {"$ne": key}}, lease=lease):
        deps.notify(ORDERS, order_id, lease)
        log.info("slot_missed", order_id=order_id, slot_id=order["last_slot"]["slot_id"])
