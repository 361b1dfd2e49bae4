"""A merchant world through the session's gateway: an admin, a merchant with staff and a deal."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.api.support import Account, gateway_client, new_admin, new_merchant, new_staff


@pytest.fixture
def client(services) -> Iterator[httpx.Client]:
    with gateway_client(services["gateway"]) as http:
        yield http


@pytest.fixture
def admin(client, services) -> Account:
    return new_admin(client, services["gateway"])


@pytest.fixture
def merchant(client, admin) -> dict:
    return new_merchant(client, admin)


@pytest.fixture
def staff(client, admin, merchant) -> Account:
    return new_staff(client, admin, merchant["merchant_id"])
