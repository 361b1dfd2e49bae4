"""Registering, logging in and reading one's own account, through a real gateway process."""

from __future__ import annotations

from services.gateway.tests.integration.support import (
    PASSWORD,
    assert_problem,
    bearer,
    log_in,
    new_email,
    new_phone,
    register,
)


async def test_a_customer_registers_with_a_phone_number_logs_in_and_sees_their_account(client):
    phone = new_phone()
    spaced = f"{phone[:3]} {phone[3:7]} {phone[7:]}"
    registered = await register(client, spaced, PASSWORD)
    assert registered["login"] == phone and registered["role"] == "customer"

    session = await log_in(client, phone, PASSWORD)
    assert session["token_type"] == "Bearer" and session["expires_in"] == 900

    me = await client.get("/v1/me", headers=bearer(session))
    assert me.status_code == 200
    account = me.json()
    assert account == {
        "id": registered["id"],
        "login": phone,
        "login_kind": "phone",
        "role": "customer",
        "merchant_id": None,
        "created_at": registered["created_at"],
    }
    assert PASSWORD not in me.text and "hash" not in me.text


async def test_an_email_login_does_not_depend_on_letter_case(client):
    email = new_email()
    await register(client, email.upper(), PASSWORD)
    session = await log_in(client, email, PASSWORD)
    me = (await client.get("/v1/me", headers=bearer(session))).json()
    assert me["login"] == email and me["login_kind"] == "email"


async def test_registering_a_login_that_is_taken_is_a_conflict(client, db):
    email = new_email()
    await register(client, email, PASSWORD)
    again = await client.post("/v1/accounts", json={"login": email.title(), "password": "another password"})
    body = assert_problem(again, 409, "login-taken")
    assert body["title"] == "An account with this login already exists"
    assert await db.accounts.count_documents({"login": email}) == 1
    # The first password still works: the second registration changed nothing.
    await log_in(client, email, PASSWORD)


async def test_a_wrong_password_and_an_unknown_login_get_the_same_answer(client):
    email = new_email()
    await register(client, email, PASSWORD)
    wrong_password = await client.post("/v1/sessions", json={"login": email, "password": "not the password"})
    unknown_login = await client.post("/v1/sessions", json={"login": new_email(), "password": "not the password"})
    assert_problem(wrong_password, 401, "invalid-credentials")
    assert_problem(unknown_login, 401, "invalid-credentials")
    assert wrong_password.json() == unknown_login.json()
    assert wrong_password.headers.get("www-authenticate") == unknown_login.headers.get("www-authenticate")


async def test_the_openapi_document_lists_the_account_routes(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"/v1/accounts", "/v1/me", "/v1/sessions", "/v1/sessions/refresh", "/v1/sessions/logout"} <= set(paths)
    assert "/v1/admin/merchants/{merchant_id}/staff" in paths
