"""A real slots service process (and the order service it asks for merchants' time zones) on
the session's FerretDB and Kafka, clients that talk to them, and in-process handlers on a
manual clock for the cases that need a given date."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from liveline_devstack.pytest_plugin import TEST_STATE, database
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
    async with database(stack_endpoints, slots_database) as db:
        yield db


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2015, 3, 24, 1, 30, tzinfo=UTC))  # 09:30 in Shanghai


@pytest.fixture
async def handlers_db(stack_endpoints) -> AsyncIterator[AsyncDatabase]:
    """The database of the in-process handlers (`deps`), one per test."""
    async with database(stack_endpoints, database_name("slots_handlers")) as db:
        yield db


@pytest.fixture
async def deps(slots_order_service, handlers_db, clock) -> AsyncIterator:
    """The slots service's handlers in this process, on their own database and a manual clock."""
    merchants = OrderServiceMerchants(slots_order_service.url, INTERNAL_TOKEN)
    try:
        yield build_dependencies(Settings(), handlers_db, merchants, clock=clock)
    finally:
        await merchants.close()
