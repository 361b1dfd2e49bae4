"""An order's slots: the offer it was made (S102), the slots its buyer chose (S103), and the rules
of choosing. One aggregate per order (stored as one document, adapters/offers.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .calendar import Slot
from .errors import ChoiceLocked, OfferReplaced, OrderClosed, SlotClosed, SlotNotOffered
from .waits import Prediction

OPEN = "open"


@dataclass(frozen=True)
class OfferedSlot:
    slot: Slot
    remaining_capacity: int | None = None
    predicted_wait: Prediction | None = None

    @property
    def slot_id(self) -> str:
        return self.slot.slot_id


@dataclass(frozen=True)
class Offer:
    offer_id: str
    reason: str  # purchase | missed_slot | requested
    offered_at: datetime
    slots: tuple[OfferedSlot, ...]

    def slot(self, slot_id: str) -> OfferedSlot | None:
        return next((offered for offered in self.slots if offered.slot_id == slot_id), None)


@dataclass(frozen=True)
class Choice:
    offer_id: str
    slots: tuple[Slot, ...]  # earliest first
    chosen_at: datetime

    @property
    def slot_ids(self) -> tuple[str, ...]:
        return tuple(slot.slot_id for slot in self.slots)

    @property
    def first_start(self) -> datetime:
        return self.slots[0].starts_at


@dataclass(frozen=True)
class OrderSlots:
    order_id: str
    user_id: str
    merchant_id: str
    quantity: int
    valid_from: datetime
    valid_until: datetime
    status: str  # open | redeemed | refunded
    offer: Offer | None
    choice: Choice | None
    version: int = 0

    def status_at(self, now: datetime) -> str:
        """open, redeemed, refunded, or expired once the voucher's validity is over."""
        if self.status == OPEN and now >= self.valid_until:
            return "expired"
        return self.status

    def belongs_to(self, user_id: str) -> bool:
        return self.user_id == user_id


def check_can_offer(order: OrderSlots, now: datetime) -> None:
    status = order.status_at(now)
    if status != OPEN:
        raise OrderClosed(status)


def chosen_slots(order: OrderSlots, offer_id: str, slot_ids: list[str], now: datetime, cutoff_minutes: int) -> tuple[Slot, ...]:
    """The slots a choice names, earliest first, if the rules allow it; else the first refusal.

    The order must be open, the offer current, the previous choice not yet under way, and each
    slot in the offer and before its cut-off. Capacity is checked where it is taken (adapters).
    """
    check_can_offer(order, now)
    if order.offer is None or order.offer.offer_id != offer_id:
        raise OfferReplaced("this offer was replaced by a newer one; read the order's offer again")
    if order.choice is not None and order.choice.first_start <= now:
        raise ChoiceLocked("the first chosen slot has started; the choice can no longer change")
    slots = []
    for slot_id in dict.fromkeys(slot_ids):  # a slot named twice is chosen once
        offered = order.offer.slot(slot_id)
        if offered is None:
            raise SlotNotOffered(f"{slot_id} is not in this offer")
        if not offered.slot.open_at(now, cutoff_minutes):
            raise SlotClosed(f"{slot_id} is past its cut-off")
        slots.append(offered.slot)
    return tuple(sorted(slots, key=lambda slot: slot.starts_at))
