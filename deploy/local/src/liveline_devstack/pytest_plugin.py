"""Fixtures that give tests the real servers and services (loaded by the repository's conftest.py).

The servers start once per test session on free ports, with state and logs in
`.liveline/test/` (kept after the run for reading). Nothing here skips: a server that cannot
start is an error of every test that needs it. `LIVELINE_TESTCONTAINERS=1` starts the same
servers with testcontainers instead, where a Docker engine exists.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

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
    """All five services, started once per session against the session's servers."""
    processes = start_services(stack_endpoints, TEST_STATE / "services", environment="test")
    try:
        yield processes
    finally:
        stop_services(processes)


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
