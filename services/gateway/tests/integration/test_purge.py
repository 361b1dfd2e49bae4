"""Refresh tokens and their families do not pile up: once expired, they are deleted, by the
adapter when asked and by the gateway's background upkeep on its own."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from liveline_gateway.adapters.tokens import RefreshTokens, hash_refresh_token
from liveline_gateway.domain.errors import InvalidToken
from liveline_shared.clock import ManualClock
from services.gateway.tests.integration.support import PASSWORD, log_in, new_email, register
from liveline_devstack.pytest_plugin import database
from tests.random_refs import database_name, suffix

TTL = timedelta(days=30)


async def _left(db, account_id: str) -> tuple[int, int]:
    return (
        await db.refresh_tokens.count_documents({"account_id": account_id}),
        await db.refresh_token_families.count_documents({"account_id": account_id}),
    )


async def test_expired_tokens_go_and_a_family_goes_with_its_newest_token(stack_endpoints):
    async with database(stack_endpoints, database_name("purge")) as db:
        await _expired_tokens_go(db)


async def _expired_tokens_go(db) -> None:
    # A database of its own: the test gateway's upkeep (real clock, every second) purges its own
    # database, and would delete these tokens dated years back between two steps of this test.
    clock = ManualClock(datetime(2020, 3, 24, 9, 0, tzinfo=UTC))
    tokens = RefreshTokens(db, TTL, clock, timeout_s=10)
    await tokens.ensure_indexes()
    account_id = f"account-{suffix()}"
    first = await tokens.start_family(account_id)
    clock.advance(timedelta(days=20))
    _, newest = await tokens.rotate(first)  # the family now lives until day 50
    await tokens.start_family(account_id)  # a second session, also until day 50
    assert await _left(db, account_id) == (3, 2)

    clock.advance(timedelta(days=15))  # day 35: only the first token has expired
    await tokens.purge_expired()
    assert await _left(db, account_id) == (2, 2)
    assert await db.refresh_tokens.find_one({"_id": hash_refresh_token(first)}) is None

    clock.advance(timedelta(days=20))  # day 55: everything has
    await tokens.purge_expired()
    assert await _left(db, account_id) == (0, 0)
    with pytest.raises(InvalidToken):
        await tokens.rotate(newest)


async def test_the_gateway_purges_expired_sessions_in_the_background(client, db):
    email = new_email()
    account = await register(client, email, PASSWORD)
    ending, lasting = await log_in(client, email, PASSWORD), await log_in(client, email, PASSWORD)
    ending_token = await db.refresh_tokens.find_one({"_id": hash_refresh_token(ending["refresh_token"])})
    family_id = ending_token["family_id"]
    # Time passes for one session only: its token and family expired a minute ago.
    a_minute_ago = datetime.now(UTC) - timedelta(minutes=1)
    await db.refresh_tokens.update_many({"family_id": family_id}, {"$set": {"expires_at": a_minute_ago}})
    await db.refresh_token_families.update_one({"_id": family_id}, {"$set": {"expires_at": a_minute_ago}})

    deadline = time.monotonic() + 30  # the test gateway purges every second
    while await _left(db, account["id"]) != (1, 1):
        assert time.monotonic() < deadline, f"still there after 30 s: {await _left(db, account['id'])}"
        await asyncio.sleep(0.2)
    assert await db.refresh_token_families.find_one({"_id": family_id}) is None
    lasting_token = await db.refresh_tokens.find_one({"_id": hash_refresh_token(lasting["refresh_token"])})
    assert lasting_token is not None
    refreshed = await client.post("/v1/sessions/refresh", json={"refresh_token": lasting["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
