"""The slots service's answers, built from the domain (the contract is liveline_shared.contracts.slots)."""

from __future__ import annotations

from datetime import datetime

from liveline_shared.contracts.slots import (
    ChoiceOut,
    MealPeriodOut,
    OfferedSlotOut,
    OfferOut,
    PredictedWaitOut,
    SlotPolicyOut,
)

from ..domain.calendar import local_text
from ..domain.offers import OfferedSlot, OrderSlots
from ..domain.policy import SlotPolicy


def policy_out(policy: SlotPolicy) -> SlotPolicyOut:
    return SlotPolicyOut(
        merchant_id=policy.merchant_id, timezone=policy.timezone,
        periods=[MealPeriodOut(name=p.name, start=p.start.strftime("%H:%M"), end=p.end.strftime("%H:%M"))
                 for p in policy.periods],
        days_ahead=policy.days_ahead, closed_weekdays=sorted(policy.closed_weekdays, key="montuewedthufrisatsun".index),
        closed_dates=sorted(policy.closed_dates), capacity=policy.capacity, cutoff_minutes=policy.cutoff_minutes,
        updated_at=policy.updated_at,
    )


def offered_slot_out(entry: OfferedSlot, remaining: int | None, now: datetime, cutoff_minutes: int) -> OfferedSlotOut:
    slot, wait = entry.slot, entry.predicted_wait
    return OfferedSlotOut(
        slot_id=slot.slot_id, meal_period=slot.period, local_date=slot.local_date,
        local_start=local_text(slot.local_start), local_end=local_text(slot.local_end), timezone=slot.timezone,
        starts_at=slot.starts_at, ends_at=slot.ends_at, remaining_capacity=remaining,
        predicted_wait=None if wait is None else PredictedWaitOut(
            low_minutes=wait.low_minutes, high_minutes=wait.high_minutes, services=wait.services
        ),
        choosable=slot.open_at(now, cutoff_minutes) and remaining != 0,
    )


def offer_out(order: OrderSlots, remaining: dict[str, int | None], now: datetime, cutoff_minutes: int) -> OfferOut:
    offer = order.offer
    assert offer is not None
    choice = order.choice
    return OfferOut(
        order_id=order.order_id, merchant_id=order.merchant_id, offer_id=offer.offer_id, reason=offer.reason,  # type: ignore[arg-type]
        offered_at=offer.offered_at, status=order.status_at(now),  # type: ignore[arg-type]
        slots=[offered_slot_out(entry, remaining.get(entry.slot_id), now, cutoff_minutes) for entry in offer.slots],
        choice=None if choice is None else ChoiceOut(
            offer_id=choice.offer_id, slot_ids=list(choice.slot_ids), chosen_at=choice.chosen_at
        ),
    )
