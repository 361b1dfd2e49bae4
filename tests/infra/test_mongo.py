"""The MongoDB-wire server (FerretDB here) through PyMongo's async API: the primitives liveline uses."""

from __future__ import annotations

import asyncio

import pytest
from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.errors import DuplicateKeyError

from tests.random_refs import database_name


@pytest.fixture
async def db(stack_endpoints):
    client = AsyncMongoClient(stack_endpoints.mongo_url, serverSelectionTimeoutMS=5000, tz_aware=True)
    yield client[database_name()]
    await client.close()


async def test_inserted_document_is_found(db):
    await db.deals.insert_one({"_id": "deal-1", "title": "Hotpot for two", "price_minor": 9900})
    found = await db.deals.find_one({"_id": "deal-1"})
    assert found == {"_id": "deal-1", "title": "Hotpot for two", "price_minor": 9900}


async def test_unique_index_refuses_a_duplicate(db):
    await db.vouchers.create_index("code", unique=True)
    await db.vouchers.insert_one({"code": "1234567890"})
    with pytest.raises(DuplicateKeyError):
        await db.vouchers.insert_one({"code": "1234567890"})
    assert await db.vouchers.count_documents({"code": "1234567890"}) == 1


async def test_conditional_update_never_takes_more_stock_than_there_is(db):
    await db.deals.insert_one({"_id": "deal-2", "stock": 5})

    async def take_one() -> bool:
        updated = await db.deals.find_one_and_update(
            {"_id": "deal-2", "stock": {"$gt": 0}},
            {"$inc": {"stock": -1}},
            return_document=ReturnDocument.AFTER,
        )
        return updated is not None

    results = await asyncio.gather(*(take_one() for _ in range(20)))
    assert results.count(True) == 5
    assert (await db.deals.find_one({"_id": "deal-2"}))["stock"] == 0
