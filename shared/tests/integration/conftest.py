from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from tests.random_refs import database_name


@pytest.fixture
def bootstrap(stack_endpoints) -> str:
    return stack_endpoints.kafka_bootstrap_servers


@pytest.fixture
async def db(stack_endpoints) -> AsyncIterator[AsyncDatabase]:
    client: AsyncMongoClient = AsyncMongoClient(
        stack_endpoints.mongo_url, serverSelectionTimeoutMS=5000, tz_aware=True, retryWrites=False
    )
    yield client[database_name("consumer")]
    await client.close()
