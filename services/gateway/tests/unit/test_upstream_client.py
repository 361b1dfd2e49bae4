"""The gateway's client of an internal service (here, the order service): what it repeats, what it never repeats, and when
it gives up."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from liveline_gateway.adapters.upstream import UpstreamBusy, UpstreamClient, UpstreamUnavailable, segment
from liveline_shared.callers import Caller

CUSTOMER = Caller(account_id="c1", role="customer")


def client_of(answers: list, seen: list[httpx.Request]) -> UpstreamClient:
    """A client whose transport answers (or raises) each of `answers` in turn."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers[min(len(seen), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return UpstreamClient("order", "http://order", "token", first_backoff_s=0.001, transport=httpx.MockTransport(handle))


async def test_a_read_is_retried_after_an_unavailable_answer_and_carries_the_caller():
    seen: list[httpx.Request] = []
    orders = client_of([httpx.Response(503), httpx.Response(200, json={"ok": True})], seen)
    response = await orders.request("GET", "/orders", CUSTOMER, params={"status": None, "limit": 5})
    assert response.status_code == 200 and len(seen) == 2
    assert seen[0].headers["X-Liveline-Internal-Token"] == "token"
    assert seen[0].headers["X-Liveline-Caller-Id"] == "c1"
    assert str(seen[0].url) == "http://order/orders?limit=5"


async def test_retries_are_bounded_and_then_the_last_answer_is_relayed():
    seen: list[httpx.Request] = []
    response = await client_of([httpx.Response(503)], seen).request("GET", "/deals", None)
    assert response.status_code == 503 and len(seen) == 3


async def test_a_request_that_may_have_been_applied_is_not_repeated():
    seen: list[httpx.Request] = []
    orders = client_of([httpx.ReadTimeout("slow"), httpx.Response(200)], seen)
    with pytest.raises(UpstreamUnavailable):
        await orders.request("POST", "/redemptions", CUSTOMER, json={"code": "1"})
    assert len(seen) == 1


async def test_a_request_that_never_left_is_repeated_whatever_its_method():
    seen: list[httpx.Request] = []
    orders = client_of([httpx.ConnectError("refused"), httpx.Response(200)], seen)
    assert (await orders.request("POST", "/redemptions", CUSTOMER, json={"code": "1"})).status_code == 200
    assert len(seen) == 2


async def test_an_order_with_its_idempotency_key_is_repeated_after_a_timeout():
    seen: list[httpx.Request] = []
    orders = client_of([httpx.ReadTimeout("slow"), httpx.Response(201)], seen)
    response = await orders.request("POST", "/orders", CUSTOMER, headers={"Idempotency-Key": "k"}, idempotent=True)
    assert response.status_code == 201 and [r.headers["Idempotency-Key"] for r in seen] == ["k", "k"]


async def test_a_down_service_and_a_refused_internal_token_are_unavailable():
    with pytest.raises(UpstreamUnavailable):
        await client_of([httpx.ConnectError("refused")], []).request("GET", "/deals", None)
    refused = httpx.Response(401, json={"type": "https://liveline.dev/problems/internal-unauthenticated"})
    with pytest.raises(UpstreamUnavailable):
        await client_of([refused], []).request("GET", "/deals", None)
    # A 401 for the caller (anonymous where a login is needed) is the caller's answer.
    caller_refused = httpx.Response(401, json={"type": "https://liveline.dev/problems/unauthenticated"})
    assert (await client_of([caller_refused], []).request("GET", "/orders", None)).status_code == 401
    # Whatever else a 401 carries is relayed as it came (and, not being a problem, becomes a 502).
    for body in ([], "refused", None):
        odd = httpx.Response(401, json=body)
        assert (await client_of([odd], []).request("GET", "/orders", None)).status_code == 401


def test_ids_from_clients_stay_one_path_segment():
    assert segment("../deals") == "..%2Fdeals"
    assert segment("a b?c") == "a%20b%3Fc"


async def test_a_request_beyond_the_in_flight_limit_is_refused_at_once_without_reaching_the_service():
    release = asyncio.Event()
    seen: list[httpx.Request] = []

    async def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        await release.wait()
        return httpx.Response(201)

    orders = UpstreamClient("order", "http://order", "token", max_in_flight=2, transport=httpx.MockTransport(handle))
    waiting = [asyncio.ensure_future(orders.request("POST", "/orders", CUSTOMER, idempotent=True)) for _ in range(2)]
    async with asyncio.timeout(5):
        while len(seen) < 2:
            await asyncio.sleep(0.001)
    with pytest.raises(UpstreamBusy):
        await orders.request("POST", "/orders", CUSTOMER, idempotent=True)
    release.set()
    assert [r.status_code for r in await asyncio.gather(*waiting)] == [201, 201] and len(seen) == 2
    assert (await orders.request("POST", "/orders", CUSTOMER, idempotent=True)).status_code == 201
