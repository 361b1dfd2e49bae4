"""Slot policies in the slots service's database: one document per merchant (`_id` = merchant id)."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pymongo
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from ..domain.policy import MealPeriod, SlotPolicy

COLLECTION = "slot_policies"


def _hhmm(moment: time) -> str:
    return moment.strftime("%H:%M")


def to_fields(policy: SlotPolicy) -> dict[str, Any]:
    return {
        "timezone": policy.timezone,
        "periods": [{"name": p.name, "start": _hhmm(p.start), "end": _hhmm(p.end)} for p in policy.periods],
        "days_ahead": policy.days_ahead,
        "closed_weekdays": sorted(policy.closed_weekdays),
        "closed_dates": sorted(day.isoformat() for day in policy.closed_dates),
        "capacity": policy.capacity,
        "cutoff_minutes": policy.cutoff_minutes,
        "updated_at": policy.updated_at,
    }


def from_document(document: dict[str, Any]) -> SlotPolicy:
    return SlotPolicy(
        merchant_id=document["_id"],
        timezone=document["timezone"],
        periods=tuple(
            MealPeriod(p["name"], time.fromisoformat(p["start"]), time.fromisoformat(p["end"])) for p in document["periods"]
        ),
        days_ahead=document["days_ahead"],
        closed_weekdays=frozenset(document["closed_weekdays"]),
        closed_dates=frozenset(date.fromisoformat(day) for day in document["closed_dates"]),
        capacity=document["capacity"],
        cutoff_minutes=document["cutoff_minutes"],
        updated_at=document.get("updated_at"),
        version=document.get("version", 0),
    )


class PoliciesRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._policies = db[COLLECTION]
        self._timeout_s = timeout_s

    async def get(self, merchant_id: str) -> SlotPolicy | None:
        with pymongo.timeout(self._timeout_s):
            document = await self._policies.find_one({"_id": merchant_id})
        return from_document(document) if document else None

    async def add_if_absent(self, policy: SlotPolicy) -> SlotPolicy:
        """Stores `policy` unless the merchant has one; answers the one stored."""
        document = {"_id": policy.merchant_id, **to_fields(policy), "version": 0}
        with pymongo.timeout(self._timeout_s):
            try:
                await self._policies.insert_one(document)
            except DuplicateKeyError:
                document = await self._policies.find_one({"_id": policy.merchant_id})
        return from_document(document)  # type: ignore[arg-type]

    async def put(self, policy: SlotPolicy) -> SlotPolicy:
        """Replaces the merchant's policy (staff's change); the last write wins."""
        with pymongo.timeout(self._timeout_s):
            document = await self._policies.find_one_and_update(
                {"_id": policy.merchant_id},
                {"$set": to_fields(policy), "$inc": {"version": 1}},
                upsert=True, return_document=ReturnDocument.AFTER,
            )
        return from_document(document)
