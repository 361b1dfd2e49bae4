"""Push scheduling in the queue-notifier's database, every read and write by `_id` (FerretDB
evaluates any other filter over the whole collection):

* `push_policies` — `_id` = merchant id: lead time and cadence.
* `push_slots` — `_id` = merchant slot id: the slot's times, the policy it was armed with, its
  subscribers (`order id -> {user_id, muted}`), the next moment due, the last push's counts and
  the moments pushed (`push_moments` ids).
* `push_orders` — `_id` = order id: the buyer, the chosen slots, whether pushes stopped
  (redeemed, refunded), the mute flag, and the outbox its SlotMissed rides in.
* `push_buckets` — `_id` = a UTC minute (`2026-11-25T15:47`): the items due in it (a slot's
  moment, an order's missed-slot check) and those done, with a lease so one instance works it.
* `push_scheduler` — `_id` = "cursor": the oldest minute that may still hold work.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pymongo
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from liveline_shared.events import Event
from liveline_shared.outbox import WriteLease, merge_updates, outbox_update

from ..domain.pushes import PushPolicy

# A slot's subscribers are one JSON text, not a document field per order: the embedded database
# decodes every field of a document on each read and write, and a slot may have thousands.
SUBSCRIBER_ATTEMPTS = 50

POLICIES = "push_policies"
SLOTS = "push_slots"
ORDERS = "push_orders"
BUCKETS = "push_buckets"
SCHEDULER = "push_scheduler"
CURSOR = "cursor"


class SchedulesRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._policies = db[POLICIES]
        self._slots = db[SLOTS]
        self._orders = db[ORDERS]
        self._buckets = db[BUCKETS]
        self._scheduler = db[SCHEDULER]
        self._timeout_s = timeout_s

    async def policy(self, merchant_id: str) -> PushPolicy:
        with pymongo.timeout(self._timeout_s):
            document = await self._policies.find_one({"_id": merchant_id})
        return PushPolicy(document["lead_s"], document["cadence_s"]) if document else PushPolicy()

    async def set_policy(self, merchant_id: str, policy: PushPolicy, now: datetime) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._policies.update_one(
                {"_id": merchant_id}, {"$set": {"lead_s": policy.lead_s, "cadence_s": policy.cadence_s, "updated_at": now}},
                upsert=True,
            )

    # merchant slots

    async def slot(self, slot_id: str) -> dict[str, Any] | None:
        with pymongo.timeout(self._timeout_s):
            document = await self._slots.find_one({"_id": slot_id})
        return _with_subscribers(document)

    async def create_slot(self, slot_id: str, fields: dict[str, Any]) -> None:
        subscribers = fields.get("subscribers", {})
        document = {**fields, "subscribers": json.dumps(subscribers, separators=(",", ":")), "version": 0}
        with pymongo.timeout(self._timeout_s):
            try:
                await self._slots.insert_one({"_id": slot_id, **document})
            except DuplicateKeyError:
                pass  # created meanwhile by another event

    async def subscribe(self, slot_id: str, order_id: str, user_id: str, muted: bool) -> None:
        await self._change_subscribers(slot_id, lambda subs: subs.__setitem__(order_id, {"user_id": user_id, "muted": muted}))

    async def unsubscribe(self, slot_id: str, order_id: str) -> None:
        await self._change_subscribers(slot_id, lambda subs: subs.pop(order_id, None))

    async def set_muted(self, slot_id: str, order_id: str, muted: bool) -> None:
        def mute(subscribers: dict[str, Any]) -> None:
            if order_id in subscribers:
                subscribers[order_id]["muted"] = muted

        await self._change_subscribers(slot_id, mute)

    async def _change_subscribers(self, slot_id: str, change: Callable[[dict[str, Any]], Any]) -> None:
        """Applies `change` to the slot's subscribers, conditional on the version it read (again
        when another change came first)."""
        for _ in range(SUBSCRIBER_ATTEMPTS):
            with pymongo.timeout(self._timeout_s):
                document = await self._slots.find_one({"_id": slot_id}, {"subscribers": 1, "version": 1})
                if document is None:
                    return
                subscribers = json.loads(document["subscribers"])
                change(subscribers)
                result = await self._slots.update_one(
                    {"_id": slot_id, "version": document["version"]},
                    {"$set": {"subscribers": json.dumps(subscribers, separators=(",", ":"))}, "$inc": {"version": 1}},
                )
            if result.modified_count == 1:
                return
        raise RuntimeError(f"the subscribers of {slot_id} kept changing under {SUBSCRIBER_ATTEMPTS} attempts")

    async def add_moment(self, slot_id: str, moment_id: str) -> None:
        """Lists a moment among the slot's (what its subscribers' inboxes are read from)."""
        with pymongo.timeout(self._timeout_s):
            await self._slots.update_one({"_id": slot_id, "moments": {"$ne": moment_id}}, {"$push": {"moments": moment_id}})

    async def arm(self, slot_id: str, first: datetime | None) -> bool:
        """Marks the slot's first moment as filed (once)."""
        with pymongo.timeout(self._timeout_s):
            result = await self._slots.update_one({"_id": slot_id, "armed": {"$exists": False}},
                                                  {"$set": {"armed": True, "next_at": first}})
        return result.modified_count == 1

    async def advance(self, slot_id: str, moment: datetime, following: datetime | None, last: dict[str, Any]) -> bool:
        """Moves the slot past `moment` (once: on condition its next moment is still `moment`)."""
        with pymongo.timeout(self._timeout_s):
            result = await self._slots.update_one({"_id": slot_id, "next_at": moment},
                                                  {"$set": {"next_at": following, "last": last}})
        return result.modified_count == 1

    # orders

    async def order(self, order_id: str) -> dict[str, Any] | None:
        with pymongo.timeout(self._timeout_s):
            return await self._orders.find_one({"_id": order_id})

    async def save_order(self, order_id: str, fields: dict[str, Any], events: tuple[Event, ...] = (),
                         *, now: datetime, only_if: dict[str, Any] | None = None,
                         lease: WriteLease | None = None) -> bool:
        update = merge_updates({"$set": fields}, outbox_update(*events, now=now, lease=lease))
        with pymongo.timeout(self._timeout_s):
            try:
                result = await self._orders.update_one({"_id": order_id, **(only_if or {})}, update, upsert=only_if is None)
            except DuplicateKeyError:
                return False
        return result.modified_count == 1 or result.upserted_id is not None

    # due-moment buckets

    async def file(self, moment: datetime, item: str, bucket_id: str) -> None:
        with pymongo.timeout(self._timeout_s):
            try:
                await self._buckets.update_one({"_id": bucket_id}, {"$addToSet": {"items": item}}, upsert=True)
            except DuplicateKeyError:
                await self._buckets.update_one({"_id": bucket_id}, {"$addToSet": {"items": item}})

    async def bucket(self, bucket_id: str) -> dict[str, Any] | None:
        with pymongo.timeout(self._timeout_s):
            return await self._buckets.find_one({"_id": bucket_id})

    async def claim(self, bucket_id: str, owner: str, now: datetime, lease: timedelta) -> dict[str, Any] | None:
        """The bucket, leased to `owner` until now + lease, unless another instance holds it."""
        with pymongo.timeout(self._timeout_s):
            return await self._buckets.find_one_and_update(
                {"_id": bucket_id, "$or": [{"lease_until": {"$exists": False}}, {"lease_until": {"$lt": now}},
                                           {"lease_owner": owner}]},
                {"$set": {"lease_owner": owner, "lease_until": now + lease}}, return_document=ReturnDocument.AFTER,
            )

    async def release(self, bucket_id: str, owner: str) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._buckets.update_one({"_id": bucket_id, "lease_owner": owner}, {"$unset": {"lease_owner": "", "lease_until": ""}})

    async def done(self, bucket_id: str, item: str) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._buckets.update_one({"_id": bucket_id}, {"$addToSet": {"done": item}})

    async def cursor(self, default: str) -> str:
        with pymongo.timeout(self._timeout_s):
            document = await self._scheduler.find_one({"_id": CURSOR})
            if document is None:
                try:
                    await self._scheduler.insert_one({"_id": CURSOR, "bucket": default})
                except DuplicateKeyError:
                    pass  # another instance started it meanwhile
                document = await self._scheduler.find_one({"_id": CURSOR})
        return document["bucket"] if document else default

    async def move_cursor(self, old: str, new: str) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._scheduler.update_one({"_id": CURSOR, "bucket": old}, {"$set": {"bucket": new}})


def _with_subscribers(document: dict[str, Any] | None) -> dict[str, Any] | None:
    if document is not None and isinstance(document.get("subscribers"), str):
        document["subscribers"] = json.loads(document["subscribers"])
    return document
