"""Roles: the first admin comes from the command line, admins create staff, customers cannot."""

from __future__ import annotations

import asyncio
import os
import sys

from services.gateway.tests.integration.support import (
    PASSWORD,
    assert_problem,
    bearer,
    log_in,
    new_email,
    new_phone,
    register,
)
from tests.random_refs import suffix


async def _create_admin(stack_endpoints, database: str, login: str, password: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "LIVELINE_GATEWAY_MONGO_URL": stack_endpoints.mongo_url,
        "LIVELINE_GATEWAY_MONGO_DATABASE": database,
        "LIVELINE_GATEWAY_ENVIRONMENT": "test",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "liveline_gateway.create_admin", "--login", login, "--password-stdin",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env,
    )
    output, _ = await asyncio.wait_for(process.communicate(f"{password}\n".encode()), timeout=60)
    return process.returncode or 0, output.decode()


async def test_an_admin_from_the_command_line_creates_staff_for_a_merchant(client, stack_endpoints, gateway_database):
    admin_login = new_email()
    code, output = await _create_admin(stack_endpoints, gateway_database, admin_login, PASSWORD)
    assert code == 0, output
    # Running it again (as `make run` does on every start) changes nothing and succeeds.
    code, output = await _create_admin(stack_endpoints, gateway_database, admin_login, "a different password")
    assert code == 0 and "already exists" in output, output

    admin = await log_in(client, admin_login, PASSWORD)
    assert (await client.get("/v1/me", headers=bearer(admin))).json()["role"] == "admin"

    merchant = await client.post(
        "/v1/admin/merchants",
        json={"name": f"Noodles {suffix()}", "address": "2 Huaihai Rd", "timezone": "Asia/Shanghai",
              "contact": "+862161234567"},
        headers=bearer(admin),
    )
    assert merchant.status_code == 201, merchant.text
    merchant_id = merchant.json()["merchant_id"]
    staff_login = new_phone()
    created = await client.post(
        f"/v1/admin/merchants/{merchant_id}/staff",
        json={"login": staff_login, "password": PASSWORD},
        headers=bearer(admin),
    )
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "staff" and created.json()["merchant_id"] == merchant_id

    staff = await log_in(client, staff_login, PASSWORD)
    me = (await client.get("/v1/me", headers=bearer(staff))).json()
    assert (me["role"], me["merchant_id"], me["login"]) == ("staff", merchant_id, staff_login)

    taken = await client.post(
        f"/v1/admin/merchants/{merchant_id}/staff", json={"login": staff_login, "password": PASSWORD}, headers=bearer(admin)
    )
    assert_problem(taken, 409, "login-taken")
    bad_merchant = await client.post(
        "/v1/admin/merchants/not%20an%20id/staff", json={"login": new_email(), "password": PASSWORD}, headers=bearer(admin)
    )
    assert_problem(bad_merchant, 422, "invalid-merchant-id")
    # The order service owns merchants: one it does not know gets no staff.
    unknown_merchant = await client.post(
        f"/v1/admin/merchants/m-{suffix()}/staff", json={"login": new_email(), "password": PASSWORD}, headers=bearer(admin)
    )
    assert_problem(unknown_merchant, 404, "merchant-not-found")


async def test_the_command_line_refuses_to_turn_a_customer_into_an_admin(client, stack_endpoints, gateway_database):
    email = new_email()
    await register(client, email, PASSWORD)
    code, output = await _create_admin(stack_endpoints, gateway_database, email, PASSWORD)
    assert code == 1 and "non-admin" in output
    session = await log_in(client, email, PASSWORD)
    assert (await client.get("/v1/me", headers=bearer(session))).json()["role"] == "customer"


async def test_a_customer_or_an_anonymous_caller_may_not_create_staff(client, db):
    customer_login = new_email()
    await register(client, customer_login, PASSWORD)
    customer = await log_in(client, customer_login, PASSWORD)
    staff_login = new_email()
    route = f"/v1/admin/merchants/m-{suffix()}/staff"

    refused = await client.post(route, json={"login": staff_login, "password": PASSWORD}, headers=bearer(customer))
    assert_problem(refused, 403, "forbidden")
    anonymous = await client.post(route, json={"login": staff_login, "password": PASSWORD})
    assert_problem(anonymous, 401, "unauthenticated")
    assert await db.accounts.count_documents({"login": staff_login}) == 0
