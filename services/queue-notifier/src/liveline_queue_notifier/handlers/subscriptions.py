"""Who hears about which merchant slot: a SlotChosen subscribes the order's buyer to each chosen
slot (a new choice replaces the old subscriptions) and files the slot's first moment and the
order's missed-slot check; redemption or refund stops the order's pushes; its buyer may mute
them; the merchant's staff set the push policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog

from liveline_shared.callers import Caller
from liveline_shared.clock import to_millis
from liveline_shared.events import OrderRedeemed, OrderRefunded, SlotChosen

from ..domain.errors import Forbidden, OrderNotFound
from ..domain.pushes import PushPolicy, bucket_of, first_moment
from .dependencies import Dependencies, runs_waitlist
from .inbox import push_video_prompt

log = structlog.get_logger(__name__)

QUEUE_ITEM = "queue"
MISSED_ITEM = "missed"
STOPPED = ("redeemed", "refunded")


def item(kind: str, moment: datetime, subject_id: str) -> str:
    """A bucket entry: what is due (a slot's moment or an order's missed-slot check) and when."""
    return f"{kind}|{moment.isoformat()}|{subject_id}"


async def file(kind: str, moment: datetime, subject_id: str, deps: Dependencies) -> None:
    """Files a due item in the bucket of its minute, or of this minute if it is already due."""
    await deps.schedules.file(moment, item(kind, moment, subject_id), bucket_of(max(moment, deps.now())))


async def push_policy_of(merchant_id: str, caller: Caller | None, deps: Dependencies) -> PushPolicy:
    if not runs_waitlist(caller, merchant_id):
        raise Forbidden("only the merchant's staff see its push policy")
    return await deps.schedules.policy(merchant_id)


async def set_push_policy(merchant_id: str, lead_s: int, cadence_s: int, caller: Caller | None,
                          deps: Dependencies) -> PushPolicy:
    """Sets the policy slots chosen from now on are pushed with (a slot keeps the one it was armed with)."""
    if not runs_waitlist(caller, merchant_id):
        raise Forbidden("only the merchant's staff set its push policy")
    policy = PushPolicy(lead_s, cadence_s)
    await deps.schedules.set_policy(merchant_id, policy, deps.now())
    return policy


async def subscribe_choice(event: SlotChosen, deps: Dependencies) -> None:
    order = await deps.schedules.order(event.order_id) or {}
    if order.get("status") in STOPPED:
        return
    now = deps.now()
    muted = bool(order.get("muted", False))
    chosen = {slot.slot_id for slot in event.slots}
    for old in order.get("slots", []):
        if old["slot_id"] not in chosen:
            await deps.schedules.unsubscribe(old["slot_id"], event.order_id)
    policy = await deps.schedules.policy(event.merchant_id)
    for slot in event.slots:
        await deps.schedules.create_slot(slot.slot_id, {
            "merchant_id": event.merchant_id, "starts_at": slot.starts_at, "ends_at": slot.ends_at,
            "lead_s": policy.lead_s, "cadence_s": policy.cadence_s, "subscribers": {},
        })
        await deps.inbox.add_to_user(event.user_id, "slots", f"{slot.slot_id}|{event.order_id}")  # read its pushes from there
        await deps.schedules.subscribe(slot.slot_id, event.order_id, event.user_id, muted)
        stored = await deps.schedules.slot(slot.slot_id)
        if stored is not None and not stored.get("armed"):
            lead_s, cadence_s = stored["lead_s"], stored["cadence_s"]
            first = first_moment(slot.starts_at, slot.ends_at, PushPolicy(lead_s, cadence_s), now)
            if first is not None:
                await file(QUEUE_ITEM, first, slot.slot_id, deps)  # before arming: a crash in between files it again
            await deps.schedules.arm(slot.slot_id, first)
    last = max(event.slots, key=lambda slot: slot.ends_at)
    missed_at = to_millis(last.ends_at + deps.missed_grace)
    await file(MISSED_ITEM, missed_at, event.order_id, deps)
    fields: dict[str, Any] = {
        "user_id": event.user_id, "merchant_id": event.merchant_id, "status": "active", "muted": muted,
        "slots": [{"slot_id": s.slot_id, "starts_at": s.starts_at, "ends_at": s.ends_at} for s in event.slots],
        "last_slot": last.model_dump(mode="json"), "missed_at": missed_at, "chosen_event": str(event.event_id),
    }
    await deps.schedules.save_order(event.order_id, fields, now=now)
    log.info("push_subscribed", order_id=event.order_id, slots=sorted(chosen))


async def stop_pushes(event: OrderRedeemed | OrderRefunded, deps: Dependencies) -> None:
    """Redeemed or refunded: no more queue pushes or missed-slot check for the order; a
    redemption also asks the buyer for a video of the visit."""
    status = "redeemed" if isinstance(event, OrderRedeemed) else "refunded"
    order = await deps.schedules.order(event.order_id) or {}
    for slot in order.get("slots", []):
        await deps.schedules.unsubscribe(slot["slot_id"], event.order_id)
    await deps.schedules.save_order(event.order_id, {"status": status, "user_id": event.user_id,
                                                     "merchant_id": event.merchant_id}, now=deps.now())
    if isinstance(event, OrderRedeemed):
        await push_video_prompt(event.order_id, event.user_id, event.merchant_id, deps)


async def mute_order(order_id: str, muted: bool, caller: Caller | None, deps: Dependencies) -> bool:
    """The buyer mutes or unmutes the queue pushes of their order; nobody else may (404)."""
    order = await deps.schedules.order(order_id)
    if caller is None or order is None or order.get("user_id") != caller.account_id:
        raise OrderNotFound(order_id)
    for slot in order.get("slots", []):
        await deps.schedules.set_muted(slot["slot_id"], order_id, muted)
    await deps.schedules.save_order(order_id, {"muted": muted}, now=deps.now(), only_if={})
    return muted
