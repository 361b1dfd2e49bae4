"""Access and refresh tokens: rotation, theft detection, logout and expiry, through a real gateway."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from liveline_gateway.adapters.tokens import AccessTokens
from liveline_shared.callers import Caller
from liveline_shared.clock import ManualClock
from liveline_shared.settings import DEVELOPMENT_SECRET
from services.gateway.tests.integration.support import (
    PASSWORD,
    assert_problem,
    bearer,
    log_in,
    new_email,
    register,
)


async def _refresh(client, refresh_token: str):
    return await client.post("/v1/sessions/refresh", json={"refresh_token": refresh_token})


async def test_a_refresh_token_gives_a_new_pair_once(client):
    email = new_email()
    await register(client, email, PASSWORD)
    first = await log_in(client, email, PASSWORD)

    response = await _refresh(client, first["refresh_token"])
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    me = await client.get("/v1/me", headers=bearer(second))
    assert me.status_code == 200 and me.json()["login"] == email


async def test_reusing_a_refresh_token_ends_the_whole_session(client, db):
    email = new_email()
    await register(client, email, PASSWORD)
    first = await log_in(client, email, PASSWORD)
    second = (await _refresh(client, first["refresh_token"])).json()

    # Someone replays the old token: refused, and the newest token of that login stops working too.
    assert_problem(await _refresh(client, first["refresh_token"]), 401, "refresh-token-reused")
    assert_problem(await _refresh(client, second["refresh_token"]), 401, "invalid-token")
    families = await db.refresh_token_families.find({}).to_list(None)
    revoked = [f for f in families if f.get("revoked_reason") == "reuse"]
    assert revoked, "the family is recorded as revoked for reuse"


async def test_a_reused_token_does_not_end_other_sessions_of_the_same_account(client):
    email = new_email()
    await register(client, email, PASSWORD)
    phone_session = await log_in(client, email, PASSWORD)
    laptop_session = await log_in(client, email, PASSWORD)
    await _refresh(client, phone_session["refresh_token"])
    assert_problem(await _refresh(client, phone_session["refresh_token"]), 401, "refresh-token-reused")
    assert (await _refresh(client, laptop_session["refresh_token"])).status_code == 200


async def test_logging_out_ends_the_session(client):
    email = new_email()
    await register(client, email, PASSWORD)
    session = await log_in(client, email, PASSWORD)
    rotated = (await _refresh(client, session["refresh_token"])).json()

    logout = await client.post("/v1/sessions/logout", json={"refresh_token": rotated["refresh_token"]})
    assert logout.status_code == 204
    assert_problem(await _refresh(client, rotated["refresh_token"]), 401, "invalid-token")
    # Logging out twice is fine; an unknown token is not.
    again = await client.post("/v1/sessions/logout", json={"refresh_token": rotated["refresh_token"]})
    assert again.status_code == 204
    unknown = await client.post("/v1/sessions/logout", json={"refresh_token": "never-issued"})
    assert_problem(unknown, 401, "invalid-token")


async def test_an_unknown_refresh_token_is_refused(client):
    assert_problem(await _refresh(client, "never-issued-token"), 401, "invalid-token")


async def test_an_expired_access_token_is_refused(client):
    email = new_email()
    account = await register(client, email, PASSWORD)
    caller = Caller(account_id=account["id"], role="customer")
    # Signed with the test gateway's key, by a clock an hour behind: it expired 45 minutes ago.
    an_hour_ago = ManualClock(datetime.now(UTC) - timedelta(hours=1))
    expired = AccessTokens(DEVELOPMENT_SECRET, timedelta(minutes=15), an_hour_ago).issue(caller)
    response = await client.get("/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert_problem(response, 401, "token-expired")
    assert response.headers["www-authenticate"].startswith("Bearer")

    # The same token, signed now, is accepted: only its age was wrong.
    fresh = AccessTokens(DEVELOPMENT_SECRET, timedelta(minutes=15), ManualClock(datetime.now(UTC))).issue(caller)
    assert (await client.get("/v1/me", headers={"Authorization": f"Bearer {fresh}"})).status_code == 200


async def test_a_forged_or_missing_access_token_is_refused(client):
    forged = AccessTokens("somebody-elses-key", timedelta(minutes=15), ManualClock(datetime.now(UTC))).issue(
        Caller(account_id="someone", role="admin")
    )
    assert_problem(await client.get("/v1/me", headers={"Authorization": f"Bearer {forged}"}), 401, "invalid-token")
    assert_problem(await client.get("/v1/me", headers={"Authorization": "Bearer not-a-jwt"}), 401, "invalid-token")
    missing = await client.get("/v1/me")
    assert_problem(missing, 401, "unauthenticated")
    assert missing.headers["www-authenticate"] == "Bearer"


async def test_of_two_simultaneous_refreshes_with_one_token_exactly_one_wins(client):
    email = new_email()
    await register(client, email, PASSWORD)
    session = await log_in(client, email, PASSWORD)
    answers = await asyncio.gather(*(_refresh(client, session["refresh_token"]) for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [200, 401]
    loser = next(a for a in answers if a.status_code == 401)
    assert_problem(loser, 401, "refresh-token-reused")
