"""A flood of registrations and logins cannot take the gateway: password hashing runs a bounded
number at a time, the rest are told to come back (503 busy, Retry-After), and meanwhile the
gateway answers its health check and places orders within a second."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import pytest

from liveline_devstack.demo import deal_body
from liveline_devstack.pytest_plugin import REPO
from liveline_shared.problems import PROBLEM_BASE, PROBLEM_JSON
from tests.api.support import buy, new_customer
from tests.random_refs import suffix

FLOOD = 200
WITHIN_S = 1.0


def _timed(call) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = call()
    return time.monotonic() - started, response


@pytest.mark.slow
def test_a_flood_of_registrations_and_logins_leaves_health_and_orders_answered_within_a_second(
    services, client, staff, merchant
):
    gateway = services["gateway"]
    # Unlimited, and as many per buyer as the probes buy.
    body = {**deal_body(f"Deal {suffix()}", 9900, 19800, None), "per_user_limit": 1000}
    deal = client.post(f"/v1/merchants/{merchant['merchant_id']}/deals", json=body, headers=staff.headers).json()
    on_sale = client.patch(f"/v1/deals/{deal['deal_id']}", json={"status": "on_sale"}, headers=staff.headers)
    assert on_sale.status_code == 200, on_sale.text
    customer = new_customer(client)

    flood = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "tests.api.flood", gateway.url, str(FLOOD)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    health_times: list[float] = []
    order_times: list[float] = []
    deadline = time.monotonic() + 120
    try:
        while flood.poll() is None or len(order_times) < 3:
            assert time.monotonic() < deadline, "the flood took over two minutes"
            elapsed, health = _timed(lambda: client.get("/healthz"))
            assert health.status_code == 200
            health_times.append(elapsed)
            elapsed, order = _timed(lambda: buy(client, customer, deal["deal_id"]))
            assert order.status_code == 201, order.text
            order_times.append(elapsed)
        output, _ = flood.communicate(timeout=60)
    finally:
        flood.kill()
    assert flood.returncode == 0
    answers = [json.loads(line) for line in output.splitlines()]

    assert len(answers) == FLOOD
    assert max(health_times) < WITHIN_S, health_times
    assert max(order_times) < WITHIN_S, order_times
    statuses = {a["status"] for a in answers}
    assert statuses <= {201, 401, 503}, statuses
    busy = [a for a in answers if a["status"] == 503]
    assert busy, "some of the flood was refused: hashing is bounded"
    assert any(a["status"] in (201, 401) for a in answers), "and some of it was served"
    for answer in busy:
        assert (answer["content_type"], answer["retry_after"]) == (PROBLEM_JSON, "1")
        assert answer["type"] == PROBLEM_BASE + "busy"
