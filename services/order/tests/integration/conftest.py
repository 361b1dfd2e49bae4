"""A real order service process on the session's FerretDB and Kafka, and clients that talk to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from liveline_devstack.pytest_plugin import TEST_STATE, database
from liveline_devstack.services import ServiceProcess
from services.order.tests.integration.support import INTERNAL_TOKEN
from tests.random_refs import database_name


@pytest.fixture(scope="session")
def order_database() -> str:
    return database_name("order")


@pytest.fixture(scope="session")
def order_service(stack_endpoints, order_database) -> Iterator[ServiceProcess]:
    process = ServiceProcess(
        "order",
        stack_endpoints,
        TEST_STATE / "order-tests",
        environment="test",
        extra_env={
            "LIVELINE_ORDER_MONGO_DATABASE": order_database,
            "LIVELINE_ORDER_INTERNAL_TOKEN": INTERNAL_TOKEN,
            # The sweep runs often so the recovery test is quick; the pending timeout stays
            # long, so the sweep never races a live request of the concurrency tests.
            "LIVELINE_ORDER_RECOVERY_SWEEP_INTERVAL_S": "0.5",
            "LIVELINE_ORDER_PENDING_TIMEOUT_S": "30",
            "LIVELINE_ORDER_ABANDONED_GRACE_S": "5",
            "LIVELINE_ORDER_LOG_LEVEL": "warning",
        },
    )
    with process.running():
        yield process


@pytest.fixture
async def db(stack_endpoints, order_database) -> AsyncIterator[AsyncDatabase]:
    async with database(stack_endpoints, order_database) as db:
        yield db


@pytest.fixture
async def client(order_service) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=250, max_keepalive_connections=250)
    async with httpx.AsyncClient(base_url=order_service.url, timeout=60, limits=limits) as http:
        yield http


@pytest.fixture
def kafka(stack_endpoints) -> str:
    return stack_endpoints.kafka_bootstrap_servers
