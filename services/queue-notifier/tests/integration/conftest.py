"""A real queue-notifier process (and the order service it asks for merchants' time zones) on the
session's FerretDB and Kafka, and clients that talk to them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from liveline_devstack.pytest_plugin import TEST_STATE, database
from liveline_devstack.services import ServiceProcess, web_push_env
from tests.queue_support import INTERNAL_TOKEN
from tests.random_refs import database_name, suffix


@pytest.fixture(scope="session")
def queue_order_service(stack_endpoints) -> Iterator[ServiceProcess]:
    process = ServiceProcess(
        "order", stack_endpoints, TEST_STATE / "queue-tests", environment="test", internal_token=INTERNAL_TOKEN,
        extra_env={"LIVELINE_ORDER_MONGO_DATABASE": database_name("queue_order"), "LIVELINE_ORDER_LOG_LEVEL": "warning"},
    )
    with process.running():
        yield process


@pytest.fixture(scope="session")
def queue_database() -> str:
    return database_name("queue")


def queue_process(stack_endpoints, order: ServiceProcess, database: str, name: str, group_prefix: str,
                  **env: str) -> ServiceProcess:
    """A queue-notifier on `database` with consumer groups of its own, a 2 s heartbeat, pushes
    marked late 1 s after their moment, a 3 s bucket lease (so a killed instance's lease
    lapses quickly) and the test session's VAPID key (Web Push)."""
    return ServiceProcess(
        "queue-notifier", stack_endpoints, TEST_STATE / "queue-tests" / name, environment="test",
        internal_token=INTERNAL_TOKEN,
        extra_env={
            "LIVELINE_QUEUE_NOTIFIER_MONGO_DATABASE": database, "LIVELINE_QUEUE_NOTIFIER_ORDER_URL": order.url,
            "LIVELINE_QUEUE_NOTIFIER_CONSUMER_GROUP_PREFIX": group_prefix,
            "LIVELINE_QUEUE_NOTIFIER_HEARTBEAT_INTERVAL_S": "2", "LIVELINE_QUEUE_NOTIFIER_HEARTBEAT_CHECK_S": "0.5",
            "LIVELINE_QUEUE_NOTIFIER_LATE_AFTER_S": "1", "LIVELINE_QUEUE_NOTIFIER_BUCKET_LEASE_S": "3",
            "LIVELINE_QUEUE_NOTIFIER_MISSED_GRACE_S": "2", **web_push_env(TEST_STATE), **env,
        },
    )


@pytest.fixture(scope="session")
def queue_group_prefix() -> str:
    return f"test-{suffix()}-"


@pytest.fixture(scope="session")
def queue_service(stack_endpoints, queue_order_service, queue_database, queue_group_prefix) -> Iterator[ServiceProcess]:
    with queue_process(stack_endpoints, queue_order_service, queue_database, "main", queue_group_prefix).running() as process:
        yield process


@pytest.fixture
async def order_client(queue_order_service) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=queue_order_service.url, timeout=30) as http:
        yield http


@pytest.fixture
async def client(queue_service) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=queue_service.url, timeout=60, limits=limits) as http:
        yield http


@pytest.fixture
async def db(stack_endpoints, queue_database) -> AsyncIterator[AsyncDatabase]:
    async with database(stack_endpoints, queue_database) as db:
        yield db


@pytest.fixture
def another_queue_process(stack_endpoints, queue_order_service):
    """Makes a queue-notifier process of a test's own (database, log folder name, group prefix)."""

    def make(database: str, name: str, group_prefix: str, **env: str) -> ServiceProcess:
        return queue_process(stack_endpoints, queue_order_service, database, name, group_prefix, **env)

    return make


@pytest.fixture
async def handlers_db(stack_endpoints) -> AsyncIterator[AsyncDatabase]:
    """The database of the in-process handlers (`deps`), one per test."""
    async with database(stack_endpoints, database_name("queue_handlers")) as db:
        yield db


@pytest.fixture
async def deps(stack_endpoints, queue_order_service, handlers_db):
    """The queue-notifier's handlers in this process, on their own database and a manual clock."""
    from datetime import UTC, datetime

    from liveline_queue_notifier.adapters.publisher import NotificationPublisher
    from liveline_queue_notifier.bootstrap import build_dependencies
    from liveline_queue_notifier.config import Settings
    from liveline_shared.clock import ManualClock
    from liveline_shared.merchant_directory import OrderServiceMerchants

    merchants = OrderServiceMerchants(queue_order_service.url, INTERNAL_TOKEN)
    clock = ManualClock(datetime(2015, 3, 24, 10, 0, tzinfo=UTC))  # 18:00 in Shanghai
    publisher = NotificationPublisher(stack_endpoints.kafka_bootstrap_servers, "queue-handlers-test", 10)
    try:
        yield build_dependencies(Settings(), handlers_db, merchants, publisher, clock=clock)
    finally:
        await merchants.close()
        await publisher.close()
