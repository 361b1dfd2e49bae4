"""The scheduler: every pass reads the due-moment buckets of the minutes from the cursor to now,
by `_id`; an instance leases a bucket with due items, works them and lets go. A slot's moment is
ONE read of the merchant's live state, stored once with its recipients (the still-subscribed,
unmuted buyers), then numbered and published to all of them in one batch (handlers/inbox.py);
then the slot's next moment is filed and the slot moved past this one. Each step can be
repeated after a crash without a second push: a moment stored or published before is not again."""

from __future__ import annotations

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
    worked = 0
    try:
        for entry in _pending(bucket):
            kind, moment, subject_id = _parse(entry)
            if moment > deps.now():
                break
            try:
                if kind == QUEUE_ITEM:
                    await push_moment(subject_id, moment, deps)
                elif kind == MISSED_ITEM:
                    await check_missed(subject_id, moment, deps)
            except MerchantNotFound:
                log.warning("push_dropped_merchant_unknown", item=entry)  # nothing to read, ever
            except Exception as error:  # noqa: BLE001 - one item's failure holds up no other; the next pass retries it
                log.warning("push_item_failed", item=entry, error=f"{type(error).__name__}: {error}")
                continue
            await deps.schedules.done(bucket_id, entry)
            worked += 1
    finally:
        await deps.schedules.release(bucket_id, deps.scheduler_id)
    return worked


async def push_moment(slot_id: str, moment: datetime, deps: Dependencies) -> None:
    slot = await deps.schedules.slot(slot_id)
    if slot is None or slot.get("next_at") is None or aware(slot["next_at"]) != moment:
        return  # moved past this moment before (a repeated or superseded item)
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
    await publish_in_order(MOMENTS, moment_id, deps)
    following = next_moment(moment, aware(slot["ends_at"]), slot["cadence_s"])
    if following is not None:
        await file(QUEUE_ITEM, following, slot_id, deps)
    last = {"waiting_parties": content["waiting_parties"], "waiting_people": content["waiting_people"]}
    await deps.schedules.advance(slot_id, moment, following, last)
    log.info("push_moment", slot_id=slot_id, moment=moment.isoformat(), recipients=len(content["recipients"]),
             late=bool(content.get("late")))


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
    if await deps.schedules.save_order(order_id, {"missed": key}, (event,), now=deps.now(),
                                       only_if={"status": "active", "missed": {"$ne": key}}):
        deps.notify(ORDERS, order_id)
        log.info("slot_missed", order_id=order_id, slot_id=order["last_slot"]["slot_id"])
