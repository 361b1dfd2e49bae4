"""Small steps the gateway's integration tests share."""

from __future__ import annotations

import httpx

from liveline_shared.problems import PROBLEM_BASE, PROBLEM_JSON
from tests.random_refs import suffix

# The test gateway's rate-limit windows are an hour long, so that no test's burst of attempts
# straddles two windows by chance.
LIMIT_WINDOW_S = 3600
# Enough for any one test's own sign-ups from its client address.
REGISTRATIONS_PER_ADDRESS = 10
PASSWORD = "correct horse battery"


def client_address() -> str:
    """A made-up client address of this test's own (the gateway trusts X-Forwarded-For from loopback)."""
    number = int(suffix(), 16)
    return f"10.{number % 256}.{number // 256 % 256}.{number // 65536 % 256}"


def new_email() -> str:
    return f"user-{suffix()}@example.com"


def new_phone() -> str:
    return f"+8613{int(suffix(), 16) % 10**9:09d}"


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body = response.json()
    assert body["type"] == PROBLEM_BASE + slug, body
    assert body["status"] == status
    return body


async def register(client: httpx.AsyncClient, login: str, password: str) -> dict:
    response = await client.post("/v1/accounts", json={"login": login, "password": password})
    assert response.status_code == 201, response.text
    return response.json()


async def log_in(client: httpx.AsyncClient, login: str, password: str) -> dict:
    response = await client.post("/v1/sessions", json={"login": login, "password": password})
    assert response.status_code == 201, response.text
    return response.json()


def bearer(session: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}
