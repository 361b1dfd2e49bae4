"""Orders' slots in the slots service's database: one document per order (`_id` = order id)
holding its current offer, its choice, a choice in progress and the events to publish (outbox).

Every change is one conditional update of that document: `version` orders the changes, so two
requests that read the same version cannot both write (the second gets None and reads again).
A write that carries an event takes the relay's `lease` with it (outbox.WriteLease), so the relay
publishes the event without claiming the order first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pymongo
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from liveline_shared.events import Event
from liveline_shared.idempotence import APPLIED_FIELD, apply_once
from liveline_shared.outbox import WriteLease, aware, merge_updates, outbox_fields, outbox_update

from ..domain.calendar import LOCAL_FORMAT, Slot, local_text
from ..domain.offers import OPEN, Choice, Offer, OfferedSlot, OrderSlots
from ..domain.waits import Prediction

COLLECTION = "order_slots"


def _millis(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _instant(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, UTC)


def _slot_row(slot: Slot) -> list[Any]:
    return [slot.local_date.isoformat(), slot.period, local_text(slot.local_start), local_text(slot.local_end),
            _millis(slot.starts_at), _millis(slot.ends_at)]


def _slot_of_row(row: list[Any], merchant_id: str, timezone: str) -> Slot:
    day, period, local_start, local_end, starts_at, ends_at = row[:6]
    return Slot(merchant_id=merchant_id, local_date=date.fromisoformat(day), period=period, timezone=timezone,
                local_start=datetime.strptime(local_start, LOCAL_FORMAT), local_end=datetime.strptime(local_end, LOCAL_FORMAT),
                starts_at=_instant(starts_at), ends_at=_instant(ends_at))


def slots_fields(slots: list[Slot], extra: Callable[[Slot], list[Any]] = lambda slot: []) -> dict[str, Any]:
    """Slots as one compact JSON text, with the time zone they share. An offer is an immutable
    snapshot read and written whole: one string field instead of hundreds of sub-documents keeps a
    60-day offer cheap to store."""
    return {"timezone": slots[0].timezone if slots else "UTC",
            "slots": json.dumps([_slot_row(slot) + extra(slot) for slot in slots], separators=(",", ":"))}


def offer_document(offer: Offer) -> dict[str, Any]:
    by_id = {entry.slot_id: entry for entry in offer.slots}

    def extra(slot: Slot) -> list[Any]:
        entry = by_id[slot.slot_id]
        wait = entry.predicted_wait
        return [entry.remaining_capacity, *((wait.low_minutes, wait.high_minutes, wait.services) if wait else (None,) * 3)]

    return {"offer_id": offer.offer_id, "reason": offer.reason, "offered_at": offer.offered_at,
            **slots_fields([entry.slot for entry in offer.slots], extra)}


def offer_from(document: dict[str, Any], merchant_id: str) -> Offer:
    slots = []
    for row in json.loads(document["slots"]):
        remaining, low, high, services = row[6:10]
        wait = None if services is None else Prediction(low, high, services)
        slots.append(OfferedSlot(_slot_of_row(row, merchant_id, document["timezone"]), remaining, wait))
    return Offer(offer_id=document["offer_id"], reason=document["reason"], offered_at=aware(document["offered_at"]),
                 slots=tuple(slots))


def choice_document(choice: Choice) -> dict[str, Any]:
    return {"offer_id": choice.offer_id, **slots_fields(list(choice.slots)), "chosen_at": choice.chosen_at}


def _choice_from(document: dict[str, Any], merchant_id: str) -> Choice:
    slots = tuple(_slot_of_row(row, merchant_id, document["timezone"]) for row in json.loads(document["slots"]))
    return Choice(document["offer_id"], slots, aware(document["chosen_at"]))


def order_from(document: dict[str, Any]) -> OrderSlots | None:
    if "user_id" not in document:  # closed before its OrderPlaced was applied: no order to show
        return None
    choice, merchant_id = document.get("choice"), document["merchant_id"]
    return OrderSlots(
        order_id=document["_id"], user_id=document["user_id"], merchant_id=document["merchant_id"],
        quantity=document["quantity"], valid_from=aware(document["valid_from"]),
        valid_until=aware(document["valid_until"]), status=document["status"],
        offer=offer_from(document["offer"], merchant_id) if document.get("offer") else None,
        choice=_choice_from(choice, merchant_id) if choice else None,
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

    async def add(self, order: OrderSlots, event: Event | None, now: datetime, lease: WriteLease | None = None) -> bool:
        """Stores a new order's first offer with its SlotOffered; False if the order is known."""
        document = {
            "_id": order.order_id, "user_id": order.user_id, "merchant_id": order.merchant_id,
            "quantity": order.quantity, "valid_from": order.valid_from, "valid_until": order.valid_until,
            "status": order.status, "offer": offer_document(order.offer) if order.offer else None,
            "version": 1, "offers_made": 1, **(outbox_fields(event, now=now, lease=lease) if event else {}),
        }
        try:
            with pymongo.timeout(self._timeout_s):
                await self._orders.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    async def replace_offer(
        self, order: OrderSlots, offer: Offer, event: Event, now: datetime, *,
        applying: str | None = None, drop_choice: bool = False, lease: WriteLease | None = None,
    ) -> bool:
        """Puts a fresh offer in place of the current one (`drop_choice`: and forgets the choice).

        False when the order changed since it was read, or (with `applying`, an event id) the
        event was applied before.
        """
        own: dict[str, Any] = {"$set": {"offer": offer_document(offer)}, "$inc": {"version": 1, "offers_made": 1}}
        if drop_choice:
            own["$unset"] = {"choice": ""}
        update = merge_updates(own, outbox_update(event, now=now, lease=lease))
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

    async def commit_choice(
        self, order_id: str, choice_id: str, choice: Choice, event: Event, now: datetime,
        lease: WriteLease | None = None,
    ) -> bool:
        update = merge_updates(
            {"$set": {"choice": choice_document(choice)}, "$unset": {"pending": ""}, "$inc": {"version": 1}},
            outbox_update(event, now=now, lease=lease),
        )
        with pymongo.timeout(self._timeout_s):
            result = await self._orders.update_one({"_id": order_id, "pending.choice_id": choice_id}, update)
        return result.modified_count == 1

    async def replace_choice(
        self, order: OrderSlots, choice: Choice, event: Event, now: datetime, lease: WriteLease | None = None
    ) -> bool:
        """Puts `choice` in place of the order's (one update, when no places are taken); False when
        the order changed since it was read or a choice is being made."""
        update = merge_updates(
            {"$set": {"choice": choice_document(choice)}, "$inc": {"version": 1}},
            outbox_update(event, now=now, lease=lease),
        )
        with pymongo.timeout(self._timeout_s):
            result = await self._orders.update_one(
                {"_id": order.order_id, "version": order.version, "status": OPEN, "pending": {"$exists": False}}, update
            )
        return result.modified_count == 1

    async def end_choice(self, order_id: str, choice_id: str) -> bool:
        """Drops a choice in progress that will not be committed."""
        with pymongo.timeout(self._timeout_s):
            result = await self._orders.update_one(
                {"_id": order_id, "pending.choice_id": choice_id}, {"$unset": {"pending": ""}}
            )
        return result.modified_count == 1
