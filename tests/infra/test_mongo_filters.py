"""Filters on fields other than _id: the embedded server answers them as MongoDB would, and the
ones the services' sweeps run every few seconds read an index instead of every document.

deploy/local/ferretdb/where-clauses-for-indexed-fields.patch hands some conditions to SQLite; a
condition there that held back a matching document would silently lose work (an order never
settled, an event never published), so every shape it handles is checked here against values of
every type that could trip it, with and without an index on the field.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pymongo import AsyncMongoClient

from tests.random_refs import database_name

BEFORE_1970 = datetime(1969, 7, 20, 20, 17, tzinfo=UTC)
LAUNCH = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 5, 12, 0, 1, tzinfo=UTC)

# _id -> the value of "f" (absent for "missing").
VALUES: dict[str, object] = {
    "zero": 0,
    "minus-zero": -0.0,
    "half": 0.5,
    "two": 2,
    "ten": 10,
    "big": 10**15,
    "tiny": 1e-7,
    "huge": 1e300,
    "minus-one": -1,
    "minus-half": -0.5,
    "true": True,
    "false": False,
    "text": "paid",
    "text-prefix": "paid2",
    "text-escaped": 'say "paid"',
    "text-unicode": "付款",
    "empty-text": "",
    "null": None,
    "date": LAUNCH,
    "later-date": LATER,
    "date-before-1970": BEFORE_1970,
    "array-with-two": [0, 2],
    "array-with-false": [True, False],
    "array-with-paid": ["pending", "paid"],
    "array-of-zeros": [0, -1],
    "empty-array": [],
    "document": {"paid": True},
}


def matching(predicate) -> set[str]:
    """The ids whose value (or, for an array, any element) satisfies the predicate, as MongoDB matches."""
    found = set()
    for key, value in VALUES.items():
        candidates = value if isinstance(value, list) else [value]
        if any(predicate(candidate) for candidate in candidates):
            found.add(key)
    return found


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


CASES = [
    ({"f": True}, matching(lambda v: v is True)),
    ({"f": False}, matching(lambda v: v is False)),
    ({"f": {"$eq": False}}, matching(lambda v: v is False)),
    ({"f": "paid"}, matching(lambda v: v == "paid")),
    ({"f": 'say "paid"'}, {"text-escaped"}),
    ({"f": "付款"}, {"text-unicode"}),
    ({"f": ""}, {"empty-text"}),
    ({"f": {"$gt": 0}}, matching(lambda v: is_number(v) and v > 0)),
    ({"f": {"$gt": 2}}, matching(lambda v: is_number(v) and v > 2)),
    ({"f": {"$gte": 0}}, matching(lambda v: is_number(v) and v >= 0)),
    ({"f": {"$gte": 0.5}}, matching(lambda v: is_number(v) and v >= 0.5)),
    ({"f": {"$gt": -1}}, matching(lambda v: is_number(v) and v > -1)),
    ({"f": {"$gt": LAUNCH}}, {"later-date"}),
    ({"f": {"$gte": LAUNCH}}, {"date", "later-date"}),
    ({"f": {"$gt": BEFORE_1970}}, {"date", "later-date"}),
    ({"f": {"$lt": LAUNCH}}, {"date-before-1970"}),
    ({"f": True, "g": "x"}, set()),
]


@pytest.fixture
async def db(stack_endpoints):
    client = AsyncMongoClient(stack_endpoints.mongo_url, serverSelectionTimeoutMS=5000, tz_aware=True)
    database = client[database_name()]
    documents = [{"_id": key} if key == "missing" else {"_id": key, "f": value} for key, value in VALUES.items()]
    documents.append({"_id": "missing"})
    await database.plain.insert_many(documents)
    await database.indexed.insert_many(documents)
    await database.indexed.create_index([("f", 1), ("g", 1)], name="by_f")
    yield database
    await client.close()


@pytest.mark.parametrize("collection", ["plain", "indexed"])
@pytest.mark.parametrize(("filter_", "expected"), CASES, ids=[str(case[0]) for case in CASES])
async def test_a_filter_on_a_field_finds_exactly_the_documents_mongodb_would(db, collection, filter_, expected):
    found = {document["_id"] async for document in db[collection].find(filter_, {"_id": 1})}
    assert found == expected


async def test_an_update_conditioned_on_a_field_changes_exactly_its_matches(db):
    result = await db.indexed.update_many({"f": {"$gt": 0}}, {"$set": {"seen": True}})
    assert result.modified_count == len(matching(lambda v: is_number(v) and v > 0))
    assert {d["_id"] async for d in db.indexed.find({"seen": True})} == matching(lambda v: is_number(v) and v > 0)


async def test_the_sweeps_filters_read_the_index_not_every_document(db):
    """The relay's and the order sweep's filters on an indexed collection are index searches."""
    for filter_ in ({"f": {"$gt": 0}}, {"f": False}, {"f": "paid", "g": {"$lt": LAUNCH}}):
        planner = (await db.command("explain", {"find": "indexed", "filter": filter_}))["queryPlanner"]
        if "winningPlan" in planner:  # MongoDB through LIVELINE_MONGO_URL
            assert "IXSCAN" in str(planner["winningPlan"]), (filter_, planner)
        else:  # FerretDB: SQLite's query plan
            steps = " | ".join(planner["Plan"])
            assert "USING INDEX" in steps and "SCAN" not in steps, (filter_, steps)
