"""The gateway's client of an internal service (here, the order service): what it repeats, what it never repeats, and when
it gives up.

The order service is played by a real HTTP server on 127.0.0.1 that answers as it is told: an answer, a slow one, a
dropped connection."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
import structlog
from aiohttp import web
from multidict import CIMultiDictProxy

from liveline_gateway.adapters.upstream import UpstreamBusy, UpstreamClient, UpstreamUnavailable, segment
from liveline_shared.callers import Caller
from liveline_shared.problems import PROBLEM_BASE

CUSTOMER = Caller(account_id="c1", role="customer")
# The client gives up on an answer after this; a slow answer takes longer.
TIMEOUT_S = 0.3
# The longest a held answer waits to be let go (teardown lets every one go at once).
HOLD_DEADLINE_S = 10.0

Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Seen:
    method: str
    target: str  # path and query as sent
    headers: CIMultiDictProxy[str]
    body: bytes


class OrderService:
    """Answers the n-th request with the n-th of `answers` (the last one again once they run out), and keeps every
    request it received in `seen`."""

    def __init__(self) -> None:
        self.answers: list[Answer] = [status(200)]
        self.seen: list[Seen] = []
        self.released = asyncio.Event()
        self.url = ""
        self._clients: list[UpstreamClient] = []

    def client(self, url: str | None = None, **options) -> UpstreamClient:
        options = {"first_backoff_s": 0.001, "timeout_s": TIMEOUT_S, **options}
        client = UpstreamClient("order", url or self.url, "token", **options)
        self._clients.append(client)
        return client

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(Seen(request.method, request.raw_path, request.headers, await request.read()))
        return await self.answers[min(len(self.seen), len(self.answers)) - 1](request)

    async def close_clients(self) -> None:
        for client in self._clients:
            await client.close()

    def held(self, answer: Answer, *, at_most_s: float = HOLD_DEADLINE_S) -> Answer:
        """`answer`, once the test lets held answers go (`released`) or after `at_most_s`."""

        async def hold(request: web.Request) -> web.StreamResponse:
            try:
                async with asyncio.timeout(at_most_s):
                    await self.released.wait()
            except TimeoutError:
                pass
            return await answer(request)

        return hold

    async def wait_until_seen(self, count: int) -> None:
        async with asyncio.timeout(5):
            while len(self.seen) < count:
                await asyncio.sleep(0.005)


def status(code: int, headers: dict[str, str] | None = None) -> Answer:
    async def answer(request: web.Request) -> web.StreamResponse:
        return web.Response(status=code, headers=headers)

    return answer


def json_answer(code: int, body: object) -> Answer:
    async def answer(request: web.Request) -> web.StreamResponse:
        return web.json_response(body, status=code)

    return answer


async def dropped(request: web.Request) -> web.StreamResponse:
    """The process dies mid-request: the connection closes with no answer at all."""
    request.transport.close()
    return web.Response(status=500)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def order_service() -> AsyncIterator[OrderService]:
    service = OrderService()
    app = web.Application()
    app.router.add_route("*", "/{path:.*}", service.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    service.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield service
    finally:
        await service.close_clients()
        service.released.set()
        await runner.cleanup()


async def test_a_read_is_retried_after_an_unavailable_answer_and_carries_the_caller(order_service):
    order_service.answers = [status(503), json_answer(200, {"ok": True})]
    response = await order_service.client().request("GET", "/orders", CUSTOMER, params={"status": None, "limit": 5})
    assert response.status_code == 200 and response.json() == {"ok": True} and len(order_service.seen) == 2
    first = order_service.seen[0]
    assert first.headers["X-Liveline-Internal-Token"] == "token"
    assert first.headers["X-Liveline-Caller-Id"] == "c1"
    assert first.target == "/orders?limit=5"


async def test_the_service_gets_the_json_body_and_the_correlation_id_as_sent_before(order_service):
    with structlog.contextvars.bound_contextvars(correlation_id="corr-1"):
        await order_service.client().request("POST", "/redemptions", CUSTOMER, json={"code": "1", "note": "café"})
    await order_service.client().request("POST", "/orders/o1/refund", CUSTOMER)
    with_body, without_body = order_service.seen
    assert with_body.headers["X-Correlation-Id"] == "corr-1"
    assert with_body.headers["Content-Type"] == "application/json"
    assert with_body.body == json.dumps({"code": "1", "note": "café"}, ensure_ascii=False, separators=(",", ":")).encode()
    assert without_body.body == b"" and "Content-Type" not in without_body.headers
    assert "X-Correlation-Id" not in without_body.headers


async def test_the_answer_is_relayed_as_it_came_without_following_a_redirect(order_service):
    order_service.answers = [status(307, headers={"Location": "/elsewhere", "Retry-After": "1"})]
    response = await order_service.client().request("GET", "/deals", None)
    assert response.status_code == 307 and len(order_service.seen) == 1
    assert response.headers["location"] == "/elsewhere" and response.headers["retry-after"] == "1"


async def test_retries_are_bounded_and_then_the_last_answer_is_relayed(order_service):
    order_service.answers = [status(503)]
    response = await order_service.client().request("GET", "/deals", None)
    assert response.status_code == 503 and len(order_service.seen) == 3


async def test_a_request_that_may_have_been_applied_is_not_repeated(order_service):
    order_service.answers = [order_service.held(status(200)), status(200)]
    with pytest.raises(UpstreamUnavailable):
        await order_service.client().request("POST", "/redemptions", CUSTOMER, json={"code": "1"})
    assert len(order_service.seen) == 1


@pytest.mark.parametrize("method", ["PUT", "DELETE", "POST"])
async def test_a_dropped_connection_does_not_repeat_a_request_the_service_does_not_make_idempotent(order_service, method):
    order_service.answers = [dropped, status(200)]
    with pytest.raises(UpstreamUnavailable):
        await order_service.client().request(method, "/videos/v1", CUSTOMER, json={"hidden": True})
    assert len(order_service.seen) == 1


async def test_a_read_is_repeated_after_a_dropped_connection(order_service):
    order_service.answers = [dropped, status(200)]
    assert (await order_service.client().request("GET", "/deals", None)).status_code == 200
    assert len(order_service.seen) == 2


async def test_an_order_with_its_idempotency_key_is_repeated_after_a_timeout(order_service):
    order_service.answers = [order_service.held(status(200)), status(201)]
    response = await order_service.client().request(
        "POST", "/orders", CUSTOMER, headers={"Idempotency-Key": "k"}, idempotent=True
    )
    assert response.status_code == 201 and [seen.headers["Idempotency-Key"] for seen in order_service.seen] == ["k", "k"]


async def test_a_request_that_never_left_is_repeated_whatever_its_method(order_service):
    # One connection, held by a slow read; the POST waits for it past the connect timeout, so its first try sends
    # nothing. A later try gets the connection once the read is answered.
    orders = order_service.client(max_connections=1, connect_timeout_s=0.1, timeout_s=5, attempts=10, max_backoff_s=0.1)
    order_service.answers = [order_service.held(status(200), at_most_s=0.5), status(201)]
    holding = asyncio.ensure_future(orders.request("GET", "/deals", None))
    await order_service.wait_until_seen(1)
    response = await orders.request("POST", "/redemptions", CUSTOMER, json={"code": "1"})
    assert response.status_code == 201 and (await holding).status_code == 200
    assert [seen.method for seen in order_service.seen] == ["GET", "POST"]


async def test_waiting_for_a_free_connection_ends_at_the_connect_timeout_not_the_whole_timeout(order_service):
    orders = order_service.client(max_connections=1, connect_timeout_s=0.1, timeout_s=HOLD_DEADLINE_S, attempts=1)
    order_service.answers = [order_service.held(status(200))]
    holding = asyncio.ensure_future(orders.request("GET", "/deals", None))
    await order_service.wait_until_seen(1)
    async with asyncio.timeout(HOLD_DEADLINE_S / 2):
        with pytest.raises(UpstreamUnavailable):
            await orders.request("GET", "/deals", None)
    order_service.released.set()
    assert (await holding).status_code == 200 and len(order_service.seen) == 1


async def test_a_down_service_is_tried_every_attempt_then_unavailable(order_service):
    orders = order_service.client(f"http://127.0.0.1:{closed_port()}", first_backoff_s=0.1)
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable):
        await orders.request("POST", "/redemptions", CUSTOMER, json={"code": "1"})
    # Refused before anything was sent: tried three times, 0.1 s then 0.2 s apart, even as a POST.
    assert time.monotonic() - started >= 0.25


async def test_a_refused_internal_token_is_unavailable_and_a_refused_caller_is_answered(order_service):
    order_service.answers = [json_answer(401, {"type": PROBLEM_BASE + "internal-unauthenticated"})]
    with pytest.raises(UpstreamUnavailable):
        await order_service.client().request("GET", "/deals", None)
    # A 401 for the caller (anonymous where a login is needed) is the caller's answer.
    order_service.answers = [json_answer(401, {"type": PROBLEM_BASE + "unauthenticated"})]
    assert (await order_service.client().request("GET", "/orders", None)).status_code == 401
    # Whatever else a 401 carries is relayed as it came (and, not being a problem, becomes a 502).
    for body in ([], "refused", None):
        order_service.answers = [json_answer(401, body)]
        assert (await order_service.client().request("GET", "/orders", None)).status_code == 401


def test_ids_from_clients_stay_one_path_segment():
    assert segment("../deals") == "..%2Fdeals"
    assert segment("a b?c") == "a%20b%3Fc"


async def test_a_segment_reaches_the_service_as_one_segment(order_service):
    await order_service.client().request("GET", f"/deals/{segment('../orders')}", None)
    assert order_service.seen[0].target == "/deals/..%2Forders"


async def test_a_request_beyond_the_in_flight_limit_is_refused_at_once_without_reaching_the_service(order_service):
    orders = order_service.client(max_in_flight=2, timeout_s=HOLD_DEADLINE_S)
    order_service.answers = [order_service.held(status(201))]
    waiting = [asyncio.ensure_future(orders.request("POST", "/orders", CUSTOMER, idempotent=True)) for _ in range(2)]
    await order_service.wait_until_seen(2)
    with pytest.raises(UpstreamBusy):
        await orders.request("POST", "/orders", CUSTOMER, idempotent=True)
    order_service.released.set()
    assert [r.status_code for r in await asyncio.gather(*waiting)] == [201, 201] and len(order_service.seen) == 2
    assert (await orders.request("POST", "/orders", CUSTOMER, idempotent=True)).status_code == 201

