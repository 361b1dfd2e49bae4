"""Merchants' live waitlists in the queue-notifier's database: one document per merchant
(`_id` = merchant id) holding the day's ticket counters, the parties waiting (names and phone
numbers only here, and only while they wait), the latest seatings for the estimate, the parties
that joined from a push by order (`remote`), the last external QueueTick, and the outbox. Every change is one update conditional on `version`, so two
staff devices never seat one party twice or give one ticket twice."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pymongo
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from liveline_shared.events import Event
from liveline_shared.idempotence import apply_once
from liveline_shared.outbox import WriteLease, aware, merge_updates, outbox_update

from ..domain.estimate import Seated
from ..domain.waitlist import LiveQueue, Party, RemoteJoin

COLLECTION = "live_queues"
ACTIVE = "active_queues"


def _party_document(party: Party) -> dict[str, Any]:
    return {"party_id": party.party_id, "ticket": party.ticket, "size": party.size, "joined_at": party.joined_at,
            "status": party.status, "called_at": party.called_at, "name": party.name, "phone": party.phone,
            "remote": party.remote, "order_id": party.order_id}


def _party_from(document: dict[str, Any]) -> Party:
    return Party(party_id=document["party_id"], ticket=document["ticket"], size=document["size"],
                 joined_at=aware(document["joined_at"]), status=document["status"],
                 called_at=aware(document["called_at"]) if document.get("called_at") else None,
                 name=document.get("name"), phone=document.get("phone"), remote=document.get("remote", False),
                 order_id=document.get("order_id"))


def _remote_document(record: RemoteJoin) -> dict[str, Any]:
    return {"user_id": record.user_id, "party_id": record.party_id, "ticket": record.ticket, "size": record.size,
            "joined_at": record.joined_at, "outcome": record.outcome}


def _remote_from(order_id: str, document: dict[str, Any]) -> RemoteJoin:
    return RemoteJoin(order_id=order_id, user_id=document["user_id"], party_id=document["party_id"],
                      ticket=document["ticket"], size=document["size"], joined_at=aware(document["joined_at"]),
                      outcome=document.get("outcome"))


def queue_fields(queue: LiveQueue) -> dict[str, Any]:
    return {
        "timezone": queue.timezone, "day": queue.day.isoformat(), "counters": queue.counters,
        "parties": [_party_document(party) for party in queue.parties], "calling": queue.calling,
        # Documents, not pairs: the embedded server stores no arrays inside arrays.
        "recent": [{"joined_at": s.joined_at, "seated_at": s.seated_at, "size": s.size} for s in queue.recent],
        "no_shows": list(queue.no_shows),
        "left": {party_id: list(entry) for party_id, entry in queue.left.items()},
        "remote": {order_id: _remote_document(record) for order_id, record in queue.remote.items()},
        "waiting_parties": len(queue.parties),
    }


def queue_from(document: dict[str, Any]) -> LiveQueue:
    return LiveQueue(
        merchant_id=document["_id"], timezone=document["timezone"], day=date.fromisoformat(document["day"]),
        counters=dict(document.get("counters", {})),
        parties=tuple(_party_from(party) for party in document.get("parties", [])),
        calling=document.get("calling"),
        recent=tuple(Seated(aware(s["joined_at"]), aware(s["seated_at"]), s["size"]) for s in document.get("recent", [])),
        no_shows=tuple(aware(at) for at in document.get("no_shows", [])),
        left={party_id: (entry[0], entry[1]) for party_id, entry in document.get("left", {}).items()},
        remote={order_id: _remote_from(order_id, record) for order_id, record in document.get("remote", {}).items()},
        version=document["version"],
    )


class QueuesRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._queues = db[COLLECTION]
        self._active = db[ACTIVE]
        self._timeout_s = timeout_s

    async def get_document(self, merchant_id: str) -> dict[str, Any] | None:
        with pymongo.timeout(self._timeout_s):
            return await self._queues.find_one({"_id": merchant_id})

    async def get(self, merchant_id: str) -> LiveQueue | None:
        document = await self.get_document(merchant_id)
        return queue_from(document) if document and "timezone" in document and "day" in document else None

    async def save(
        self, queue: LiveQueue, events: tuple[Event, ...], now: datetime, lease: WriteLease | None = None
    ) -> bool:
        """Writes the changed queue and its events if nobody changed it since it was read (its
        `version`); False otherwise. A new queue is inserted (False if one appeared meanwhile).
        With `lease` the write takes the relay's lease, so the relay publishes without a claim."""
        fields = {**queue_fields(queue), "last_tick_at": now}
        outbox = outbox_update(*events, now=now, lease=lease)
        with pymongo.timeout(self._timeout_s):
            if queue.version == 0:
                # The first change; the document may exist already, holding only an external tick.
                update = merge_updates({"$set": {**fields, "version": 1}}, outbox)
                try:
                    result = await self._queues.update_one(
                        {"_id": queue.merchant_id, "version": {"$exists": False}}, update, upsert=True
                    )
                except DuplicateKeyError:
                    return False
                return result.modified_count == 1 or result.upserted_id is not None
            update = merge_updates({"$set": fields, "$inc": {"version": 1}}, outbox)
            result = await self._queues.update_one({"_id": queue.merchant_id, "version": queue.version}, update)
        return result.modified_count == 1

    async def mark_active(self, merchant_id: str, active: bool) -> None:
        """Lists the merchants whose queue is not empty (the heartbeat visits only those)."""
        with pymongo.timeout(self._timeout_s):
            if active:
                await self._active.update_one({"_id": merchant_id}, {"$set": {"active": True}}, upsert=True)
            else:
                await self._active.delete_one({"_id": merchant_id})

    async def active(self, limit: int = 10_000) -> list[str]:
        with pymongo.timeout(self._timeout_s):
            return [document["_id"] async for document in self._active.find({}, {"_id": 1}).limit(limit)]

    async def record_external(self, merchant_id: str, tick: dict[str, Any], event_id: str) -> bool:
        """Keeps the newest QueueTick an outside queue system published for the merchant."""
        return await apply_once(
            self._queues,
            {"_id": merchant_id, "$or": [{"external.at": {"$exists": False}}, {"external.at": {"$lt": tick["at"]}}]},
            {"$set": {"external": tick}}, event_id, upsert=True, timeout_s=self._timeout_s,
        )
