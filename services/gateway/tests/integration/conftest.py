"""A real gateway process on the session's FerretDB and Kafka (and the session's order service,
which owns merchants), and clients that talk to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from liveline_devstack.pytest_plugin import TEST_STATE, database
from liveline_devstack.services import ServiceProcess
from services.gateway.tests.integration.support import LIMIT_WINDOW_S, REGISTRATIONS_PER_ADDRESS, client_address
from tests.random_refs import database_name


@pytest.fixture(scope="session")
def gateway_database() -> str:
    return database_name("gateway")


@pytest.fixture(scope="session")
def gateway(stack_endpoints, gateway_database, services) -> Iterator[ServiceProcess]:
    order = services["order"]
    process = ServiceProcess(
        "gateway",
        stack_endpoints,
        TEST_STATE / "gateway-tests",
        environment="test",
        internal_token=order.internal_token,
        extra_env={
            "LIVELINE_GATEWAY_ORDER_URL": order.url,
            "LIVELINE_GATEWAY_MONGO_DATABASE": gateway_database,
            "LIVELINE_GATEWAY_LOGIN_FAILURE_WINDOW_S": str(LIMIT_WINDOW_S),
            "LIVELINE_GATEWAY_LOGIN_ADDRESS_WINDOW_S": str(LIMIT_WINDOW_S),
            "LIVELINE_GATEWAY_REGISTRATION_WINDOW_S": str(LIMIT_WINDOW_S),
            "LIVELINE_GATEWAY_REGISTRATIONS_PER_ADDRESS": str(REGISTRATIONS_PER_ADDRESS),
            "LIVELINE_GATEWAY_PURGE_INTERVAL_S": "1",
        },
    )
    with process.running():
        yield process


@pytest.fixture
async def db(stack_endpoints, gateway_database) -> AsyncIterator[AsyncDatabase]:
    async with database(stack_endpoints, gateway_database) as db:
        yield db


@pytest.fixture
async def client(gateway) -> AsyncIterator[httpx.AsyncClient]:
    """A client with an address of its own, so the per-address login limit counts only this test."""
    async with httpx.AsyncClient(
        base_url=gateway.url, timeout=15, headers={"X-Forwarded-For": client_address()}
    ) as http:
        yield http
