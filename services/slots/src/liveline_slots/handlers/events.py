"""The slots service's integration events, built in one place."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from liveline_shared.events import PredictedWait, SlotChosen, SlotOffered, SlotWindow
from liveline_shared.log_context import current_correlation_id

from ..domain.calendar import Slot, local_text
from ..domain.offers import Choice, Offer, OfferedSlot, OrderSlots

PRODUCER = "slots"


def slot_window(slot: Slot, offered: OfferedSlot | None = None) -> SlotWindow:
    wait = offered.predicted_wait if offered else None
    return SlotWindow(
        slot_id=slot.slot_id, meal_period=slot.period, local_date=slot.local_date.isoformat(),
        starts_at=slot.starts_at, ends_at=slot.ends_at, timezone=slot.timezone,
        local_start=local_text(slot.local_start), local_end=local_text(slot.local_end),
        remaining_capacity=offered.remaining_capacity if offered else None,
        predicted_wait=None if wait is None else PredictedWait(
            low_minutes=wait.low_minutes, high_minutes=wait.high_minutes, services=wait.services
        ),
    )


def _envelope(now: datetime, correlation_id: str | None, causation_id: Any) -> dict[str, Any]:
    return {"occurred_at": now, "producer": PRODUCER,
            "correlation_id": correlation_id or current_correlation_id() or "", "causation_id": causation_id}


def slot_offered(order: OrderSlots, offer: Offer, now: datetime, *, correlation_id: str | None = None,
                 causation_id: Any = None) -> SlotOffered:
    return SlotOffered(
        **_envelope(now, correlation_id, causation_id),
        offer_id=offer.offer_id, order_id=order.order_id, user_id=order.user_id, merchant_id=order.merchant_id,
        reason=offer.reason, slots=tuple(slot_window(entry.slot, entry) for entry in offer.slots),
    )


def slot_chosen(order: OrderSlots, choice: Choice, now: datetime) -> SlotChosen:
    return SlotChosen(
        **_envelope(now, None, None),
        offer_id=choice.offer_id, order_id=order.order_id, user_id=order.user_id, merchant_id=order.merchant_id,
        slots=tuple(slot_window(slot) for slot in choice.slots),
    )
