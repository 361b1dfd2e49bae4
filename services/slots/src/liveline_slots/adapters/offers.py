"""Orders' slots in the slots service's database: one document per order (`_id` = order id)
holding its current offer, its choice, a choice in progress and the events to publish (outbox).

Every change is one conditional update of that document: `version` orders the changes, so two
requests that read the same version cannot both write (the second gets None and reads again).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pymongo
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from liveline_shared.events import Event
from liveline_shared.idempotence import APPLIED_FIELD, apply_once
from liveline_shared.outbox import aware, merge_updates, outbox_fields, outbox_update

from ..domain.calendar import Slot
from ..domain.offers import OPEN, Choice, Offer, OfferedSlot, OrderSlots
from ..domain.waits import Prediction

COLLECTION = "order_slots"


def slot_document(slot: Slot) -> dict[str, Any]:
    return {
        "slot_id": slot.slot_id, "merchant_id": slot.merchant_id, "local_date": slot.local_date.isoformat(),
        "period": slot.period, "timezone": slot.timezone, "local_start": slot.local_start,
        "local_end": slot.local_end, "starts_at": slot.starts_at, "ends_at": slot.ends_at,
    }


def slot_from(document: dict[str, Any]) -> Slot:
    return Slot(
        merchant_id=document["merchant_id"], local_date=date.fromisoformat(document["local_date"]),
        period=document["period"], timezone=document["timezone"],
        local_start=document["local_start"].replace(tzinfo=None), local_end=document["local_end"].replace(tzinfo=None),
        starts_at=aware(document["starts_at"]), ends_at=aware(document["ends_at"]),
    )


def offer_document(offer: Offer) -> dict[str, Any]:
    def offered(entry: OfferedSlot) -> dict[str, Any]:
        wait = entry.predicted_wait
        return {
            **slot_document(entry.slot), "remaining_capacity": entry.remaining_capacity,
            "predicted_wait": None if wait is None else
            {"low_minutes": wait.low_minutes, "high_minutes": wait.high_minutes, "services": wait.services},
        }

    return {"offer_id": offer.offer_id, "reason": offer.reason, "offered_at": offer.offered_at,
            "slots": [offered(entry) for entry in offer.slots]}


def offer_from(document: dict[str, Any]) -> Offer:
    return Offer(
        offer_id=document["offer_id"], reason=document["reason"], offered_at=aware(document["offered_at"]),
        slots=tuple(
            OfferedSlot(slot_from(entry), entry.get("remaining_capacity"),
                        Prediction(**entry["predicted_wait"]) if entry.get("predicted_wait") else None)
            for entry in document["slots"]
        ),
    )


def choice_document(choice: Choice) -> dict[str, Any]:
    return {"offer_id": choice.offer_id, "slots": [slot_document(slot) for slot in choice.slots],
            "chosen_at": choice.chosen_at}


def order_from(document: dict[str, Any]) -> OrderSlots | None:
    if "user_id" not in document:  # closed before its OrderPlaced was applied: no order to show
        return None
    choice = document.get("choice")
    return OrderSlots(
        order_id=document["_id"], user_id=document["user_id"], merchant_id=document["merchant_id"],
        quantity=document["quantity"], valid_from=aware(document["valid_from"]),
        valid_until=aware(document["valid_until"]), status=document["status"],
        offer=offer_from(document["offer"]) if document.get("offer") else None,
        choice=None if not choice else Choice(
            choice["offer_id"], tuple(slot_from(slot) for slot in choice["slots"]), aware(choice["chosen_at"])
        ),
        version=document["version"],
    )


class OffersRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._orders = db[COLLECTION]
        self._timeout_s = timeout_s

    async def get_document(self, order_id: str) -> dict[str, Any] | None:
        with pymongo.timeout(self._timeout_s):
            return await self._orders.find_one({"_id": order_id})

    async def get(self, order_id: str) -> OrderSlots | None:
        document = await self.get_document(order_id)
        return order_from(document) if document else None

    async def add(self, order: OrderSlots, event: Event | None, now: datetime) -> bool:
        """Stores a new order's first offer with its SlotOffered; False if the order is known."""
        document = {
            "_id": order.order_id, "user_id": order.user_id, "merchant_id": order.merchant_id,
            "quantity": order.quantity, "valid_from": order.valid_from, "valid_until": order.valid_until,
            "status": order.status, "offer": offer_document(order.offer) if order.offer else None,
            "version": 1, "offers_made": 1, **(outbox_fields(event, now=now) if event else {}),
        }
        try:
            with pymongo.timeout(self._timeout_s):
                await self._orders.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    async def replace_offer(
        self, order: OrderSlots, offer: Offer, event: Event, now: datetime, *,
        applying: str | None = None, drop_choice: bool = False,
    ) -> bool:
        """Puts a fresh offer in place of the current one (`drop_choice`: and forgets the choice).

        False when the order changed since it was read, or (with `applying`, an event id) the
        event was applied before.
        """
        own: dict[str, Any] = {"$set": {"offer": offer_document(offer)}, "$inc": {"version": 1, "offers_made": 1}}
        if drop_choice:
            own["$unset"] = {"choice": ""}
        update = merge_updates(own, outbox_update(event, now=now))
        condition = {"_id": order.order_id, "version": order.version, "status": OPEN}
        if applying is not None:
            return await apply_once(self._orders, condition, update, applying, timeout_s=self._timeout_s)
        with pymongo.timeout(self._timeout_s):
            result = await self._orders.update_one(condition, update)
        return result.modified_count == 1

    async def applied(self, order_id: str, event_id: str) -> bool:
        document = await self.get_document(order_id)
        return document is not None and event_id in document.get(APPLIED_FIELD, ())

    async def close(self, order_id: str, status: str, event_id: str) -> None:
        """Marks the order redeemed or refunded (a stub if its OrderPlaced was not applied yet)."""
        await apply_once(self._orders, {"_id": order_id}, {"$set": {"status": status}}, event_id,
                         upsert=True, timeout_s=self._timeout_s)

    async def begin_choice(self, order: OrderSlots, choice_id: str, claims: list[str], now: datetime,
                           stale_before: datetime) -> bool:
        """Marks a choice in progress (the slots it will claim), unless another one is under way."""
        with pymongo.timeout(self._timeout_s):
            result = await self._orders.update_one(
                {"_id": order.order_id, "version": order.version, "status": OPEN,
                 "$or": [{"pending": {"$exists": False}}, {"pending.started_at": {"$lt": stale_before}}]},
                {"$set": {"pending": {"choice_id": choice_id, "claims": claims, "started_at": now}}},
            )
        return result.modified_count == 1

    async def commit_choice(self, order_id: str, choice_id: str, choice: Choice, event: Event, now: datetime) -> bool:
        update = merge_updates(
            {"$set": {"choice": choice_document(choice)}, "$unset": {"pending": ""}, "$inc": {"version": 1}},
            outbox_update(event, now=now),
        )
        with pymongo.timeout(self._timeout_s):
            result = await self._orders.update_one({"_id": order_id, "pending.choice_id": choice_id}, update)
        return result.modified_count == 1

    async def end_choice(self, order_id: str, choice_id: str) -> bool:
        """Drops a choice in progress that will not be committed."""
        with pymongo.timeout(self._timeout_s):
            result = await self._orders.update_one(
                {"_id": order_id, "pending.choice_id": choice_id}, {"$unset": {"pending": ""}}
            )
        return result.modified_count == 1
