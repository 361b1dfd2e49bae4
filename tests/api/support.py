"""Callers of the gateway's public API for the cross-service tests: accounts of each role,
a merchant with its staff, deals on sale, and checks of problem documents."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx

from liveline_devstack.demo import create_admin, deal_body
from liveline_devstack.services import ServiceProcess
from liveline_shared.problems import PROBLEM_BASE, PROBLEM_JSON
from tests.random_refs import suffix

PASSWORD = "correct horse battery"


def client_address() -> str:
    """A made-up client address of the test's own, so login limits per address count only it
    (the gateway trusts X-Forwarded-For from loopback)."""
    number = int(suffix(), 16)
    return f"10.{number % 256}.{number // 256 % 256}.{number // 65536 % 256}"


def gateway_client(gateway: ServiceProcess) -> httpx.Client:
    return httpx.Client(base_url=gateway.url, timeout=30, headers={"X-Forwarded-For": client_address()})


@dataclass(frozen=True)
class Account:
    login: str
    headers: dict[str, str]
    account_id: str
    merchant_id: str | None = None


def new_login(role: str) -> str:
    return f"{role}-{suffix()}@example.com"


def log_in(client: httpx.Client, login: str, password: str = PASSWORD) -> Account:
    response = client.post("/v1/sessions", json={"login": login, "password": password})
    assert response.status_code == 201, response.text
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    me = client.get("/v1/me", headers=headers).json()
    return Account(login, headers, me["id"], me["merchant_id"])


def new_customer(client: httpx.Client) -> Account:
    login = new_login("customer")
    response = client.post("/v1/accounts", json={"login": login, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return log_in(client, login)


def new_admin(client: httpx.Client, gateway: ServiceProcess) -> Account:
    login = new_login("admin")
    create_admin(gateway.env, login, PASSWORD)
    return log_in(client, login)


def new_merchant(client: httpx.Client, admin: Account) -> dict:
    body = {"name": f"Hotpot {suffix()}", "address": "1 Nanjing Rd", "timezone": "Asia/Shanghai",
            "contact": "+862161234567"}
    response = client.post("/v1/admin/merchants", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


def new_staff(client: httpx.Client, admin: Account, merchant_id: str) -> Account:
    login = new_login("staff")
    response = client.post(
        f"/v1/admin/merchants/{merchant_id}/staff", json={"login": login, "password": PASSWORD}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    return log_in(client, login)


def new_deal_on_sale(client: httpx.Client, manager: Account, merchant_id: str, stock: int | None = 50) -> dict:
    body = deal_body(f"Deal {suffix()}", 9900, 19800, stock)
    created = client.post(f"/v1/merchants/{merchant_id}/deals", json=body, headers=manager.headers)
    assert created.status_code == 201, created.text
    on_sale = client.patch(f"/v1/deals/{created.json()['deal_id']}", json={"status": "on_sale"}, headers=manager.headers)
    assert on_sale.status_code == 200, on_sale.text
    return on_sale.json()


def buy(client: httpx.Client, customer: Account, deal_id: str, key: str | None = None, quantity: int = 1) -> httpx.Response:
    return client.post(
        "/v1/orders",
        json={"deal_id": deal_id, "quantity": quantity},
        headers={**customer.headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )


def assert_problem(response: httpx.Response, status: int, slug: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body = response.json()
    if slug is not None:
        assert body["type"] == PROBLEM_BASE + slug, body
    assert body["status"] == status
    return body
