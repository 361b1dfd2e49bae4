"""The MongoDB-wire server (FerretDB here) through PyMongo's async API: the primitives liveline uses,
and bulk writes of every size."""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest
from bson.binary import Binary
from pymongo import AsyncMongoClient, DeleteOne, InsertOne, ReplaceOne, ReturnDocument, UpdateMany, UpdateOne
from pymongo.errors import DuplicateKeyError, OperationFailure

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


async def test_binary_values_come_back_byte_for_byte_after_inserts_and_updates(db):
    # Outbox entries are binary values; the server stores them as base64 text and decodes them on
    # every read (one of this project's FerretDB patches does that without a JSON decoder).
    values = {
        f"v{length}-{subtype}": Binary(bytes((i * 37 + length) % 256 for i in range(length)), subtype)
        for length in (0, 1, 2, 3, 4, 5, 62, 63, 64, 1000, 65_537)
        for subtype in (0, 4, 0x80)
    }
    await db.blobs.insert_one({"_id": "blobs", **values})
    assert _as_stored(await db.blobs.find_one({"_id": "blobs"}, {"_id": 0})) == _as_stored(values)
    changed = {name: Binary(bytes(reversed(value)) + b"+/=", value.subtype) for name, value in values.items()}
    await db.blobs.update_one({"_id": "blobs"}, {"$set": changed})
    assert _as_stored(await db.blobs.find_one({"_id": "blobs"}, {"_id": 0})) == _as_stored(changed)


def _as_stored(values: dict) -> dict[str, tuple[bytes, int]]:
    """Each value's bytes and subtype (PyMongo gives subtype 0 back as plain bytes)."""
    return {name: (bytes(value), getattr(value, "subtype", 0)) for name, value in values.items()}


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


async def test_conditional_updates_of_two_collections_at_once_each_take_only_the_stock_there_is(db):
    # The write lock is per collection: writes to the two run side by side, each one still atomic.
    await db.deals.insert_one({"_id": "deal-3", "stock": 5})
    await db.slots.insert_one({"_id": "slot-3", "stock": 7})

    async def take_one(collection, document_id) -> bool:
        updated = await collection.find_one_and_update(
            {"_id": document_id, "stock": {"$gt": 0}}, {"$inc": {"stock": -1}}, return_document=ReturnDocument.AFTER
        )
        return updated is not None

    results = await asyncio.gather(*(
        take_one(*target) for _ in range(20) for target in ((db.deals, "deal-3"), (db.slots, "slot-3"))
    ))
    assert results[0::2].count(True) == 5 and results[1::2].count(True) == 7
    assert (await db.deals.find_one({"_id": "deal-3"}))["stock"] == 0
    assert (await db.slots.find_one({"_id": "slot-3"}))["stock"] == 0


# Bulk writes. Upstream FerretDB 1.24 kept every single-document update's query (and its SQLite
# connection) open until the whole update command ended; the 100th UpdateOne of one command waited
# forever for a connection, holding the write lock of serialize-document-writes.patch, so every
# later write of that collection, from any client, hung. Hence the sizes: just under, at and well over 100.
SIZES = [1, 99, 100, 1_000, 10_000]
UNTOUCHED = 10


def deadline_s(operations: int) -> float:
    """Generous: about 2 ms per single-document write here, on two shared cores."""
    return 30 + operations * 0.01


async def within(seconds: float, awaitable, what: str):
    try:
        return await asyncio.wait_for(awaitable, seconds)
    except TimeoutError:
        pytest.fail(f"{what} did not return within {seconds:.0f} s")


def doc_ids(count: int, prefix: str = "doc") -> list[str]:
    return [f"{prefix}-{i:05d}" for i in range(count)]


async def seed(collection, count: int) -> list[str]:
    """`count` documents in group "a" with n=0, and UNTOUCHED more in group "b"."""
    targets = doc_ids(count)
    await collection.insert_many(
        [{"_id": i, "group": "a", "n": 0} for i in targets]
        + [{"_id": i, "group": "b", "n": 0} for i in doc_ids(UNTOUCHED, "other")]
    )
    return targets


async def test_each_update_of_a_bulk_sees_the_updates_before_it(db):
    # The server writes one command's updated documents together (one of this project's FerretDB
    # patches); a later statement must still see what the earlier ones changed.
    await db.items.insert_many([{"_id": "a", "n": 0}, {"_id": "b", "n": 0}, {"_id": "other", "n": 0}])
    result = await db.items.bulk_write([
        UpdateOne({"_id": "a"}, {"$inc": {"n": 1}}),
        UpdateOne({"_id": "a"}, {"$inc": {"n": 1}}),
        UpdateOne({"_id": "b"}, {"$set": {"flag": True}}),
        UpdateMany({"flag": True}, {"$inc": {"n": 10}}),
        UpdateOne({"_id": "c"}, {"$set": {"n": 5}}, upsert=True),
        UpdateOne({"_id": "c", "n": 5}, {"$inc": {"n": 1}}),
        UpdateOne({"_id": "a", "n": 2}, {"$set": {"seen": "both increments"}}),
    ])
    assert (result.matched_count, result.modified_count, result.upserted_count) == (6, 6, 1)
    assert await db.items.find({}, sort=[("_id", 1)]).to_list() == [
        {"_id": "a", "n": 2, "seen": "both increments"},
        {"_id": "b", "n": 10, "flag": True},
        {"_id": "c", "n": 6},
        {"_id": "other", "n": 0},
    ]


async def test_an_ordered_bulk_stopped_by_a_failing_update_keeps_those_before_it_and_none_after(db):
    await db.items.create_index("code", unique=True)
    await db.items.insert_many([{"_id": name, "code": name.upper(), "n": 0} for name in ("a", "b", "c", "d")])
    # MongoDB reports the duplicate key as a write error, FerretDB as an internal error: either
    # way the bulk fails at the third update.
    with pytest.raises(OperationFailure):
        await db.items.bulk_write([
            UpdateOne({"_id": "a"}, {"$set": {"n": 1}}),
            UpdateOne({"_id": "b"}, {"$set": {"n": 1}}),
            UpdateOne({"_id": "c"}, {"$set": {"code": "A", "n": 1}}),  # A is a's code: refused
            UpdateOne({"_id": "d"}, {"$set": {"n": 1}}),
        ], ordered=True)
    assert await db.items.find({}, {"code": 1, "n": 1}, sort=[("_id", 1)]).to_list() == [
        {"_id": "a", "code": "A", "n": 1},
        {"_id": "b", "code": "B", "n": 1},
        {"_id": "c", "code": "C", "n": 0},
        {"_id": "d", "code": "D", "n": 0},
    ]


@pytest.mark.parametrize("ordered", [False, True], ids=["unordered", "ordered"])
@pytest.mark.parametrize("size", SIZES)
async def test_bulk_of_update_ones_completes_and_updates_each_document_once(db, size, ordered):
    targets = await seed(db.items, size)
    result = await within(
        deadline_s(size),
        db.items.bulk_write([UpdateOne({"_id": i}, {"$inc": {"n": 1}}) for i in targets], ordered=ordered),
        f"bulk_write of {size} UpdateOne (ordered={ordered})",
    )
    assert (result.matched_count, result.modified_count) == (size, size)
    assert await db.items.count_documents({"n": 1}) == size
    assert await db.items.count_documents({"n": 0}) == UNTOUCHED


@pytest.mark.parametrize("size", SIZES)
async def test_update_many_completes_and_updates_every_match(db, size):
    await seed(db.items, size)
    result = await within(
        deadline_s(size), db.items.update_many({"group": "a"}, {"$inc": {"n": 1}}), f"update_many of {size}"
    )
    assert (result.matched_count, result.modified_count) == (size, size)
    assert await db.items.count_documents({"group": "a", "n": 1}) == size
    assert await db.items.count_documents({"group": "b", "n": 0}) == UNTOUCHED


@pytest.mark.parametrize("size", SIZES)
async def test_insert_many_completes_and_stores_every_document(db, size):
    documents = [{"_id": i, "n": 0} for i in doc_ids(size)]
    result = await within(deadline_s(size), db.items.insert_many(documents), f"insert_many of {size}")
    assert len(result.inserted_ids) == size
    assert await db.items.count_documents({}) == size
    assert await db.items.find_one({"_id": documents[-1]["_id"]}) == documents[-1]


@pytest.mark.parametrize("size", SIZES)
async def test_delete_many_completes_and_removes_every_match(db, size):
    await seed(db.items, size)
    result = await within(deadline_s(size), db.items.delete_many({"group": "a"}), f"delete_many of {size}")
    assert result.deleted_count == size
    assert await db.items.count_documents({}) == UNTOUCHED


def mixed_operations(targets: list[str]) -> list:
    """Interleaved insert, update, delete and replace, each on its own document."""
    kinds = [
        lambda i, doc: InsertOne({"_id": f"new-{i:05d}", "group": "new"}),
        lambda i, doc: UpdateOne({"_id": doc}, {"$set": {"n": 1}}),
        lambda i, doc: DeleteOne({"_id": doc}),
        lambda i, doc: ReplaceOne({"_id": doc}, {"group": "replaced"}),
    ]
    return [kinds[i % 4](i, doc) for i, doc in enumerate(targets)]


@pytest.mark.parametrize("ordered", [False, True], ids=["unordered", "ordered"])
@pytest.mark.parametrize("size", SIZES)
async def test_mixed_bulk_write_completes_and_applies_every_operation(db, size, ordered):
    targets = await seed(db.items, size)
    operations = mixed_operations(targets)
    inserts, updates, deletes, replaces = (len(operations[k::4]) for k in range(4))

    result = await within(
        deadline_s(size), db.items.bulk_write(operations, ordered=ordered), f"mixed bulk_write of {size}"
    )

    assert result.inserted_count == inserts
    assert (result.matched_count, result.modified_count) == (updates + replaces, updates + replaces)
    assert result.deleted_count == deletes
    assert await db.items.count_documents({}) == size + UNTOUCHED + inserts - deletes
    assert await db.items.count_documents({"group": "new"}) == inserts
    assert await db.items.count_documents({"group": "a", "n": 1}) == updates
    assert await db.items.count_documents({"group": "replaced", "n": {"$exists": False}}) == replaces
    assert await db.items.count_documents({"group": "b", "n": 0}) == UNTOUCHED


BULK_UPDATE_CLIENT = """
import asyncio, sys
from pymongo import AsyncMongoClient, UpdateOne

async def main(url, database, count):
    client = AsyncMongoClient(url, serverSelectionTimeoutMS=5000)
    operations = [UpdateOne({"_id": f"doc-{i:05d}"}, {"$inc": {"n": 1}}) for i in range(count)]  # seed()'s ids
    print("writing", flush=True)
    await client[database].items.bulk_write(operations, ordered=False)
    print("done", flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def test_server_stays_writable_after_a_client_is_killed_during_a_bulk_write(db, stack_endpoints):
    size = 5_000
    targets = await seed(db.items, size)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", BULK_UPDATE_CLIENT, stack_endpoints.mongo_url, db.name, str(size),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        assert await within(30, process.stdout.readline(), "the bulk-writing client's start") == b"writing\n"

        async def first_update_applied() -> None:
            while await db.items.find_one({"_id": targets[0], "n": 1}) is None:
                await asyncio.sleep(0.05)

        await within(60, first_update_applied(), "the killed client's first update")
    finally:
        process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), 10)
    assert process.returncode == -signal.SIGKILL
    assert b"done" not in await process.stdout.read(), "the bulk write returned before the kill"

    # The server finishes the dead client's command first, then takes other writes again.
    client = AsyncMongoClient(stack_endpoints.mongo_url, serverSelectionTimeoutMS=5000)
    try:
        other = client[database_name("other")]
        await within(deadline_s(size), other.things.insert_one({"_id": "after-kill"}), "a write elsewhere")
        await within(30, db.items.update_one({"_id": "other-00000"}, {"$set": {"n": 7}}), "a write beside it")
        assert await other.things.find_one({"_id": "after-kill"}) == {"_id": "after-kill"}
        assert (await db.items.find_one({"_id": "other-00000"}))["n"] == 7
    finally:
        await client.close()
