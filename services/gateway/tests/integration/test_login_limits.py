"""Login rate limits per account and per client address, and registrations per client address
(the test gateway's windows are an hour)."""

from __future__ import annotations

import asyncio

import httpx

from services.gateway.tests.integration.support import (
    LIMIT_WINDOW_S,
    PASSWORD,
    REGISTRATIONS_PER_ADDRESS,
    assert_problem,
    client_address,
    log_in,
    new_email,
    register,
)


def _retry_after(response: httpx.Response) -> int:
    seconds = int(response.headers["retry-after"])
    assert 0 < seconds <= LIMIT_WINDOW_S
    assert response.json()["retry_after"] == seconds
    return seconds


async def test_five_failures_lock_the_account_even_for_the_right_password(client, gateway):
    email = new_email()
    await register(client, email, PASSWORD)
    for _ in range(5):
        wrong = await client.post("/v1/sessions", json={"login": email, "password": "not the password"})
        assert_problem(wrong, 401, "invalid-credentials")

    right = await client.post("/v1/sessions", json={"login": email, "password": PASSWORD})
    assert_problem(right, 429, "rate-limited")
    _retry_after(right)

    # The limit is the account's, not the address's: another address is refused as well.
    async with httpx.AsyncClient(base_url=gateway.url, timeout=15, headers={"X-Forwarded-For": client_address()}) as other:
        elsewhere = await other.post("/v1/sessions", json={"login": email, "password": PASSWORD})
        assert_problem(elsewhere, 429, "rate-limited")
        # ...while other accounts log in from there as usual.
        someone_else = new_email()
        await register(other, someone_else, PASSWORD)
        await log_in(other, someone_else, PASSWORD)


async def test_unknown_logins_are_limited_like_known_ones(client):
    unknown = new_email()
    for _ in range(5):
        assert_problem(await client.post("/v1/sessions", json={"login": unknown, "password": "x"}), 401, "invalid-credentials")
    assert_problem(await client.post("/v1/sessions", json={"login": unknown, "password": "x"}), 429, "rate-limited")


async def test_successful_logins_do_not_count_against_the_account(client):
    email = new_email()
    await register(client, email, PASSWORD)
    for _ in range(4):
        assert_problem(await client.post("/v1/sessions", json={"login": email, "password": "wrong one"}), 401, "invalid-credentials")
    for _ in range(3):
        await log_in(client, email, PASSWORD)
    # The fifth failure is still allowed (and answered as a failure), the sixth attempt is not.
    assert_problem(await client.post("/v1/sessions", json={"login": email, "password": "wrong one"}), 401, "invalid-credentials")
    assert_problem(await client.post("/v1/sessions", json={"login": email, "password": PASSWORD}), 429, "rate-limited")


async def test_an_address_gets_thirty_attempts_and_a_success_does_not_reset_them(client, gateway):
    email = new_email()
    await register(client, email, PASSWORD)
    for attempt in range(30):
        if attempt == 10:
            await log_in(client, email, PASSWORD)
        else:
            # Each try uses a different unknown login, so only the address limit can trip.
            response = await client.post("/v1/sessions", json={"login": new_email(), "password": "guess"})
            assert_problem(response, 401, "invalid-credentials")

    refused = await client.post("/v1/sessions", json={"login": email, "password": PASSWORD})
    assert_problem(refused, 429, "rate-limited")
    _retry_after(refused)

    # The same account logs in from another address: the limit was the address's.
    async with httpx.AsyncClient(base_url=gateway.url, timeout=15, headers={"X-Forwarded-For": client_address()}) as other:
        await log_in(other, email, PASSWORD)


async def test_simultaneous_guesses_cannot_slip_past_the_account_limit(client):
    email = new_email()
    await register(client, email, PASSWORD)
    guesses = [client.post("/v1/sessions", json={"login": email, "password": f"guess {n}"}) for n in range(12)]
    statuses = sorted(r.status_code for r in await asyncio.gather(*guesses))
    # Five are checked; the rest are refused, as over the limit or, beyond the guesses the
    # gateway hashes at once and lets wait, as busy.
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) <= {429, 503} and 429 in statuses


async def test_an_address_gets_a_few_registrations_an_hour_and_then_waits(client, gateway, db):
    for _ in range(REGISTRATIONS_PER_ADDRESS):
        await register(client, new_email(), PASSWORD)
    refused_login = new_email()
    refused = await client.post("/v1/accounts", json={"login": refused_login, "password": PASSWORD})
    assert_problem(refused, 429, "rate-limited")
    _retry_after(refused)
    assert await db.accounts.count_documents({"login": refused_login}) == 0

    # Another address may still register: the limit was this address's.
    async with httpx.AsyncClient(base_url=gateway.url, timeout=15, headers={"X-Forwarded-For": client_address()}) as other:
        await register(other, refused_login, PASSWORD)
