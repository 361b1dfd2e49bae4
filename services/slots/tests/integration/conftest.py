"""A real slots service process (and the order service it asks for merchants' time zones) on
the session's FerretDB and Kafka, clients that talk to them, and in-process handlers on a
manual clock for the cases that need a given date."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from liveline_devstack.pytest_plugin import TEST_STATE
from liveline_devstack.services import ServiceProcess
from liveline_shared.clock import ManualClock
from liveline_shared.merchant_directory import OrderServiceMerchants
from liveline_slots.bootstrap import build_dependencies
from liveline_slots.config import Settings
from services.slots.tests.integration.support import INTERNAL_TOKEN
from tests.random_refs import database_name, suffix


@pytest.fixture(scope="session")
def slots_order_service(stack_endpoints) -> Iterator[ServiceProcess]:
    process = ServiceProcess(
        "order", stack_endpoints, TEST_STATE / "slots-tests", environment="test", internal_token=INTERNAL_TOKEN,
        extra_env={"LIVELINE_ORDER_MONGO_DATABASE": database_name("slots_order"), "LIVELINE_ORDER_LOG_LEVEL": "warning"},
    )
    with process.running():
        yield process


@pytest.fixture(scope="session")
def slots_database() -> str:
    return database_name("slots")


def slots_process(stack_endpoints, order: ServiceProcess, database: str, name: str, group_prefix: str,
                  **env: str) -> ServiceProcess:
    """A slots service on `database` whose consumer groups are its own (`group_prefix`), so it sees
    every event whatever other copies of the service run on the session's Kafka."""
    return ServiceProcess(
        "slots", stack_endpoints, TEST_STATE / "slots-tests" / name, environment="test", internal_token=INTERNAL_TOKEN,
        extra_env={
            "LIVELINE_SLOTS_MONGO_DATABASE": database, "LIVELINE_SLOTS_ORDER_URL": order.url,
            "LIVELINE_SLOTS_LOG_LEVEL": "info", "LIVELINE_SLOTS_CONSUMER_GROUP_PREFIX": group_prefix, **env,
        },
    )


@pytest.fixture(scope="session")
def slots_service(stack_endpoints, slots_order_service, slots_database) -> Iterator[ServiceProcess]:
    prefix = f"test-{suffix()}-"
    with slots_process(stack_endpoints, slots_order_service, slots_database, "main", prefix).running() as process:
        yield process


@pytest.fixture
async def order_client(slots_order_service) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=slots_order_service.url, timeout=30) as http:
        yield http


@pytest.fixture
async def client(slots_service) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=250, max_keepalive_connections=250)
    async with httpx.AsyncClient(base_url=slots_service.url, timeout=60, limits=limits) as http:
        yield http


@pytest.fixture
async def db(stack_endpoints, slots_database) -> AsyncIterator[AsyncDatabase]:
    mongo: AsyncMongoClient = AsyncMongoClient(stack_endpoints.mongo_url, tz_aware=True, timeoutMS=10_000)
    try:
        yield mongo[slots_database]
    finally:
        await mongo.close()


@pytest.fixture
async def producer(stack_endpoints) -> AsyncIterator[AIOKafkaProducer]:
    kafka = AIOKafkaProducer(bootstrap_servers=stack_endpoints.kafka_bootstrap_servers, acks="all",
                             enable_idempotence=True)
    await kafka.start()
    try:
        yield kafka
    finally:
        await kafka.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2015, 3, 24, 1, 30, tzinfo=UTC))  # 09:30 in Shanghai


@pytest.fixture
async def deps(stack_endpoints, slots_order_service, clock) -> AsyncIterator:
    """The slots service's handlers in this process, on their own database and a manual clock."""
    mongo: AsyncMongoClient = AsyncMongoClient(stack_endpoints.mongo_url, tz_aware=True, timeoutMS=10_000)
    merchants = OrderServiceMerchants(slots_order_service.url, INTERNAL_TOKEN)
    try:
        yield build_dependencies(Settings(), mongo[database_name("slots_handlers")], merchants, clock=clock)
    finally:
        await merchants.close()
        await mongo.close()
