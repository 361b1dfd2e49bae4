"""Merchants in the order service's database: one document per merchant."""

from __future__ import annotations

import asyncio
from typing import Any

import pymongo
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.merchants import Merchant

COLLECTION = "merchants"


def _to_document(merchant: Merchant) -> dict[str, Any]:
    return {
        "_id": merchant.merchant_id,
        "name": merchant.name,
        "address": merchant.address,
        "timezone": merchant.timezone,
        "contact": merchant.contact,
        "created_at": merchant.created_at,
    }


def _from_document(document: dict[str, Any]) -> Merchant:
    return Merchant(
        merchant_id=document["_id"],
        name=document["name"],
        address=document["address"],
        timezone=document["timezone"],
        contact=document["contact"],
        created_at=document["created_at"],
    )


class MerchantsRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._merchants = db[COLLECTION]
        self._timeout_s = timeout_s

    async def ensure_indexes(self) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._merchants.create_index([("created_at", 1), ("_id", 1)], name="by_created_at")

    async def add(self, merchant: Merchant) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._merchants.insert_one(_to_document(merchant))

    async def get(self, merchant_id: str) -> Merchant | None:
        with pymongo.timeout(self._timeout_s):
            document = await self._merchants.find_one({"_id": merchant_id})
        return _from_document(document) if document else None

    async def get_many(self, merchant_ids: set[str]) -> dict[str, Merchant]:
        if not merchant_ids:
            return {}
        # One lookup by `_id` each: the embedded server answers `{_id: {$in: …}}` by reading the
        # whole collection.
        with pymongo.timeout(self._timeout_s):
            documents = await asyncio.gather(*(self._merchants.find_one({"_id": m}) for m in sorted(merchant_ids)))
        return {d["_id"]: _from_document(d) for d in documents if d is not None}

    async def page(self, limit: int, offset: int) -> list[Merchant]:
        with pymongo.timeout(self._timeout_s):
            cursor = self._merchants.find({}).sort([("created_at", 1), ("_id", 1)]).skip(offset).limit(limit)
            return [_from_document(d) async for d in cursor]
