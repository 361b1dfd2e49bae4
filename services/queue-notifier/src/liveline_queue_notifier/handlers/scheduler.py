"""The scheduler: every pass reads the due-moment buckets of the minutes from the cursor to now,
by `_id`; an instance leases a bucket with due items, works them and lets go. A slot's moment is
ONE read of the merchant's live state, stored once, then an inbox entry per still-subscribed
user under a dedupe key; then the slot's next moment is filed and the slot moved past this one.
Each step can be repeated after a crash without a second push."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import structlog

from liveline_shared.events import SlotMissed, SlotWindow
from liveline_shared.log_context import current_correlation_id
from liveline_shared.outbox import aware

from ..adapters.schedules import ORDERS
from ..domain.errors import MerchantNotFound
from ..domain.pushes import bucket_of, bucket_start, moment_key, next_moment, push_content
from .dependencies import Dependencies
from .inbox import PRODUCER, deliver
from .live import live_state_of
from .subscriptions import MISSED_ITEM, QUEUE_ITEM, file

log = structlog.get_logger(__name__)

# The cursor stays this far behind now, so an item filed in "this minute" as the minute turns is
# never behind it.
CURSOR_MARGIN = timedelta(minutes=2)
FAN_OUT_BATCH = 64


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
        late = deps.now() - moment > deps.late_after
        content = await deps.inbox.store_moment(moment_id, push_content(
            slot=slot, moment=moment, state=state, stale=stale, previous=slot.get("last"), late=late))
    subscribers = [(order_id, sub) for order_id, sub in (slot.get("subscribers") or {}).items() if not sub.get("muted")]
    for start in range(0, len(subscribers), FAN_OUT_BATCH):
        await asyncio.gather(*(
            _push_one(moment_id, moment, order_id, sub["user_id"], slot, content, deps)
            for order_id, sub in subscribers[start:start + FAN_OUT_BATCH]
        ))
    following = next_moment(moment, aware(slot["ends_at"]), slot["cadence_s"])
    if following is not None:
        await file(QUEUE_ITEM, following, slot_id, deps)
    last = {"waiting_parties": content["waiting_parties"], "waiting_people": content["waiting_people"]}
    await deps.schedules.advance(slot_id, moment, following, last)
    log.info("push_moment", slot_id=slot_id, moment=moment.isoformat(), subscribers=len(subscribers),
             late=bool(content.get("late")))


async def _push_one(moment_id: str, moment: datetime, order_id: str, user_id: str, slot: dict[str, Any],
                    content: dict[str, Any], deps: Dependencies) -> None:
    late = bool(content.get("late")) or deps.now() - moment > deps.late_after
    await deliver({"_id": f"{moment_id}~{order_id}", "user_id": user_id, "subject": "queue_update",
                   "order_id": order_id, "merchant_id": slot["merchant_id"], "moment_id": moment_id, "late": late,
                   "link_path": f"/orders/{order_id}"}, content, deps)


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
