"""Fixtures that give tests the real servers and services (loaded by the repository's conftest.py).

The servers start once per test session on free ports, with state and logs in
`.liveline/test/` (kept after the run for reading). Nothing here skips: a server that cannot
start is an error of every test that needs it. `LIVELINE_TESTCONTAINERS=1` starts the same
servers with testcontainers instead, where a Docker engine exists.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from .services import ServiceProcess, start_services, stop_services
from .servers import KafkaServer
from .stack import Endpoints, LocalStack

REPO = Path(__file__).resolve().parents[4]
TEST_STATE = REPO / ".liveline" / "test"


@pytest.fixture(scope="session")
def stack_endpoints() -> Iterator[Endpoints]:
    if os.environ.get("LIVELINE_TESTCONTAINERS") == "1":
        from .testcontainers_stack import containers_stack

        with containers_stack() as endpoints:
            yield endpoints
        return
    stack = LocalStack(TEST_STATE / "stack", fresh=True)
    endpoints = stack.start()
    try:
        yield endpoints
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def services(stack_endpoints: Endpoints) -> Iterator[dict[str, ServiceProcess]]:
    """All five services, started once per session against the session's servers.

    The queue-notifier sends the missed-slot re-offer 2 s after the last chosen slot ends (not
    15 min), so that a test can let a slot pass (tests/e2e); the slots other tests choose end
    hours after the session.
    """
    processes = start_services(stack_endpoints, TEST_STATE / "services", environment="test",
                               settings={"queue-notifier": {"LIVELINE_QUEUE_NOTIFIER_MISSED_GRACE_S": "2"}})
    try:
        yield processes
    finally:
        stop_services(processes)


@pytest.fixture
async def producer(stack_endpoints: Endpoints) -> AsyncIterator[AIOKafkaProducer]:
    """An idempotent Kafka producer on the session's Kafka, for a test that publishes events itself."""
    kafka = AIOKafkaProducer(bootstrap_servers=stack_endpoints.kafka_bootstrap_servers, acks="all", enable_idempotence=True)
    await kafka.start()
    try:
        yield kafka
    finally:
        await kafka.stop()


@contextlib.asynccontextmanager
async def database(endpoints: Endpoints, name: str) -> AsyncIterator[AsyncDatabase]:
    """A client of the session's database server, on database `name`, closed afterwards."""
    mongo: AsyncMongoClient = AsyncMongoClient(endpoints.mongo_url, tz_aware=True, timeoutMS=10_000)
    try:
        yield mongo[name]
    finally:
        await mongo.close()


@pytest.fixture
def own_kafka(tmp_path: Path) -> Iterator[KafkaServer]:
    """A Kafka of this test's own, which the test may stop and start without disturbing others."""
    kafka = KafkaServer(TEST_STATE / "own-kafka" / tmp_path.name)
    kafka.start()
    kafka.wait_ready()
    try:
        yield kafka
    finally:
        kafka.stop()
