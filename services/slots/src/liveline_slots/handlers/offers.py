"""Offers: the slot list built when an order is placed (S102), built again when the buyer missed
every chosen slot (0008) or asks for a fresh one, and closed when the order is redeemed or
refunded. Each offer is published as SlotOffered through the order document's outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import structlog

from liveline_shared.callers import Caller
from liveline_shared.contracts.slots import WEEKDAYS
from liveline_shared.events import OrderPlaced, OrderRedeemed, OrderRefunded, SlotMissed

from ..adapters.offers import COLLECTION as ORDER_SLOTS
from ..domain.calendar import local_today, upcoming_slots
from ..domain.errors import MerchantNotFound, OfferNotFound, SlotsError
from ..domain.offers import OPEN, Offer, OfferedSlot, OrderSlots, check_can_offer
from ..domain.policy import SlotPolicy
from ..domain.waits import Prediction, predict
from .dependencies import Dependencies, manages
from .events import slot_offered
from .policies import policy_of

log = structlog.get_logger(__name__)


class OrderChangedMeanwhile(SlotsError):
    """The order's slots changed between our read and our write; read them again."""


async def build_offer(order: OrderSlots, policy: SlotPolicy, reason: str, now: datetime, deps: Dependencies) -> Offer:
    """The merchant's upcoming slots inside the voucher's validity, without full ones, each with
    its places left (capped merchants) and its predicted wait."""
    slots = upcoming_slots(policy, now, valid_from=order.valid_from, valid_until=order.valid_until)
    taken = await deps.capacity.taken([slot.slot_id for slot in slots]) if policy.capacity else {}
    history = await deps.history.get(order.merchant_id)
    today = local_today(policy, now)
    predictions: dict[tuple[str, str], Prediction | None] = {}
    offered = []
    for slot in slots:
        remaining = None if policy.capacity is None else max(policy.capacity - taken.get(slot.slot_id, 0), 0)
        if remaining == 0:
            continue
        key = (WEEKDAYS[slot.local_date.weekday()], slot.period)
        if key not in predictions:
            predictions[key] = predict(history["services"], *key, before=today)
        offered.append(OfferedSlot(slot, remaining, predictions[key]))
    return Offer(offer_id=uuid.uuid4().hex, reason=reason, offered_at=now, slots=tuple(offered))


async def offer_after_purchase(event: OrderPlaced, deps: Dependencies) -> None:
    """S102: the placed order's first slot list. A repeated OrderPlaced builds nothing."""
    if await deps.offers.get_document(event.order_id) is not None:
        return
    try:
        policy = await policy_of(event.merchant_id, deps)
    except MerchantNotFound:
        # The order service placed an order for a merchant it does not know: nothing to offer,
        # and retrying cannot help. Logged as an error for a person to look at.
        log.error("order_for_unknown_merchant", order_id=event.order_id, merchant_id=event.merchant_id)
        return
    now = deps.now()
    order = OrderSlots(
        order_id=event.order_id, user_id=event.user_id, merchant_id=event.merchant_id, quantity=event.quantity,
        valid_from=event.voucher_valid_from, valid_until=event.voucher_valid_until, status=OPEN, offer=None, choice=None,
    )
    if order.status_at(now) != OPEN:
        # Placed after its voucher expired (a late event): kept, so asking gives a clear answer.
        await deps.offers.add(order, None, now)
        log.info("no_offer_order_closed", order_id=order.order_id, status=order.status_at(now))
        return
    offer = await build_offer(order, policy, "purchase", now, deps)
    published = slot_offered(order, offer, now, correlation_id=event.correlation_id, causation_id=event.event_id)
    order = OrderSlots(**{**order.__dict__, "offer": offer})
    lease = deps.write_lease()
    if await deps.offers.add(order, published, now, lease):
        deps.notify(ORDER_SLOTS, order.order_id, lease)
        log.info("slots_offered", order_id=order.order_id, slots=len(offer.slots), reason="purchase")


async def offer_again_after_missed_slot(event: SlotMissed, deps: Dependencies) -> None:
    """0008: every chosen slot passed unredeemed; a fresh list from now, unless the order is closed
    or the buyer chose again since (a stale SlotMissed changes nothing)."""
    order = await deps.offers.get(event.order_id)
    now = deps.now()
    if order is None or await deps.offers.applied(event.order_id, str(event.event_id)):
        return
    if order.status_at(now) != OPEN:
        log.info("no_reoffer_order_closed", order_id=order.order_id, status=order.status_at(now))
        return
    if order.choice is None or order.choice.slot_ids[-1] != event.slot.slot_id:
        log.info("no_reoffer_choice_changed", order_id=order.order_id)
        return
    policy = await policy_of(order.merchant_id, deps)
    offer = await build_offer(order, policy, "missed_slot", now, deps)
    published = slot_offered(order, offer, now, correlation_id=event.correlation_id, causation_id=event.event_id)
    lease = deps.write_lease()
    if not await deps.offers.replace_offer(
        order, offer, published, now, applying=str(event.event_id), drop_choice=True, lease=lease
    ):
        if await deps.offers.applied(event.order_id, str(event.event_id)):
            return
        raise OrderChangedMeanwhile("the order changed while its new offer was built")
    deps.notify(ORDER_SLOTS, order.order_id, lease)
    log.info("slots_offered", order_id=order.order_id, slots=len(offer.slots), reason="missed_slot")


async def request_offer(order_id: str, caller: Caller | None, deps: Dependencies) -> OfferView:
    """The buyer asks for a fresh list (the old one has aged); the current choice stays."""
    order = await _own_order(order_id, caller, deps)
    now = deps.now()
    check_can_offer(order, now)
    policy = await policy_of(order.merchant_id, deps)
    offer = await build_offer(order, policy, "requested", now, deps)
    lease = deps.write_lease()
    if not await deps.offers.replace_offer(order, offer, slot_offered(order, offer, now), now, lease=lease):
        raise OrderChangedMeanwhile("the order's slots changed meanwhile; try again")
    deps.notify(ORDER_SLOTS, order.order_id, lease)
    return await get_offer(order_id, caller, deps)


async def close_order(event: OrderRedeemed | OrderRefunded, deps: Dependencies) -> None:
    """A redeemed or refunded order gets no more offers; a refund gives its chosen places back."""
    status = "redeemed" if isinstance(event, OrderRedeemed) else "refunded"
    order = await deps.offers.get(event.order_id)
    await deps.offers.close(event.order_id, status, str(event.event_id))
    if status == "refunded" and order is not None and order.choice is not None:
        for slot_id in order.choice.slot_ids:
            await deps.capacity.give_back(slot_id, order.order_id)
    log.info("order_slots_closed", order_id=event.order_id, status=status)


@dataclass(frozen=True)
class OfferView:
    """An order's offer as a reader sees it now: with the places left in capped slots."""

    order: OrderSlots
    remaining: dict[str, int | None]
    cutoff_minutes: int
    now: datetime


async def get_offer(order_id: str, caller: Caller | None, deps: Dependencies) -> OfferView:
    """The order's offer and choice, for its buyer, the merchant's staff and admins; a redeemed,
    refunded or expired order has none (OrderClosed)."""
    order = await deps.offers.get(order_id)
    if order is None or caller is None or not (order.belongs_to(caller.account_id) or manages(caller, order.merchant_id)):
        raise OfferNotFound("no offer for this order")
    now = deps.now()
    check_can_offer(order, now)
    return await view_of(order, now, deps)


async def view_of(order: OrderSlots, now: datetime, deps: Dependencies, policy: SlotPolicy | None = None) -> OfferView:
    policy = policy or await policy_of(order.merchant_id, deps)
    slot_ids = [entry.slot_id for entry in order.offer.slots] if order.offer else []
    remaining: dict[str, int | None] = dict.fromkeys(slot_ids)
    if policy.capacity is not None:
        taken = await deps.capacity.taken(slot_ids)
        remaining = {slot_id: max(policy.capacity - taken.get(slot_id, 0), 0) for slot_id in slot_ids}
    return OfferView(order, remaining, policy.cutoff_minutes, now)


async def _own_order(order_id: str, caller: Caller | None, deps: Dependencies) -> OrderSlots:
    """The order, if the caller is its buyer (to anyone else it does not exist)."""
    order = await deps.offers.get(order_id)
    if order is None or caller is None or caller.role != "customer" or not order.belongs_to(caller.account_id):
        raise OfferNotFound("no offer for this order")
    return order
