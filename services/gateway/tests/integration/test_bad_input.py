"""Bad input gets a 4xx problem document and writes nothing."""

from __future__ import annotations

import pytest

from liveline_devstack.pytest_plugin import TEST_STATE
from liveline_devstack.processes import wait_until
from liveline_devstack.services import ServiceProcess
from services.gateway.tests.integration.support import PASSWORD, assert_problem, new_email

MALFORMED_REGISTRATIONS = [
    pytest.param({"login": "+12"}, 422, "invalid-request", id="missing password"),
    pytest.param({"login": 8613800138000, "password": PASSWORD}, 422, "invalid-request", id="login not a string"),
    pytest.param({"login": "+86 138", "password": PASSWORD}, 422, "invalid-login", id="phone too short"),
    pytest.param({"login": "8613800138000", "password": PASSWORD}, 422, "invalid-login", id="phone without plus"),
    pytest.param({"login": "someone@nowhere", "password": PASSWORD}, 422, "invalid-login", id="e-mail without a dot"),
    pytest.param({"login": "NEW", "password": "too short"}, 422, "weak-password", id="password under 10 characters"),
    pytest.param({"login": "NEW", "password": PASSWORD, "role": "admin"}, 422, "invalid-request", id="extra field"),
    pytest.param({"login": "NEW", "password": "x" * 70_000}, 413, "payload-too-large", id="oversized body"),
]


@pytest.mark.parametrize(("body", "status", "slug"), MALFORMED_REGISTRATIONS)
async def test_a_malformed_registration_is_refused_and_writes_nothing(client, db, body, status, slug):
    body = {**body, "login": new_email()} if body.get("login") == "NEW" else body
    before = await db.accounts.count_documents({})
    assert_problem(await client.post("/v1/accounts", json=body), status, slug)
    assert await db.accounts.count_documents({}) == before


async def test_a_body_that_is_not_json_is_refused(client, db):
    before = await db.accounts.count_documents({})
    response = await client.post("/v1/accounts", content=b"login=a&password=b", headers={"content-type": "text/plain"})
    assert_problem(response, 422, "invalid-request")
    assert await db.accounts.count_documents({}) == before


async def test_a_malformed_login_attempt_is_refused_before_anything_is_counted(client, db):
    before = await db.rate_limit_windows.count_documents({})
    assert_problem(await client.post("/v1/sessions", json={"login": "nobody", "password": "x"}), 422, "invalid-login")
    assert_problem(await client.post("/v1/sessions", json={"login": new_email()}), 422, "invalid-request")
    assert await db.rate_limit_windows.count_documents({}) == before


async def test_a_gateway_in_production_refuses_to_start_with_the_development_signing_key(stack_endpoints):
    process = ServiceProcess(
        "gateway",
        stack_endpoints,
        TEST_STATE / "gateway-tests" / "production",
        environment="production",
        extra_env={"LIVELINE_GATEWAY_INTERNAL_TOKEN": "a-real-internal-token-for-this-test"},
    )
    process.start()
    try:
        wait_until(lambda: not process.process.alive(), timeout=60, what="the refusing gateway to exit")
        assert process.process.exit_code() != 0
        assert "LIVELINE_GATEWAY_SIGNING_KEY still has the development default" in process.process.log_tail(60)
    finally:
        process.stop()
