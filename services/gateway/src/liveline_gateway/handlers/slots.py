"""Slot policies, offers and choices belong to the slots service: each of these hands the
caller's request to it on the internal path that serves it and returns its answer as it came.
The slots service decides who may see or change what."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from liveline_shared.callers import Caller
from liveline_shared.problems import PROBLEM_BASE

from ..adapters.upstream import UpstreamClient, UpstreamResponse, segment


async def get_policy(merchant_id: str, caller: Caller | None, slots: UpstreamClient) -> UpstreamResponse:
    return await slots.request("GET", f"/merchants/{segment(merchant_id)}/slot-policy", caller)


async def put_policy(merchant_id: str, body: dict[str, Any], caller: Caller, slots: UpstreamClient) -> UpstreamResponse:
    # Replacing a policy with the same body twice gives the same policy: safe to repeat.
    return await slots.request("PUT", f"/merchants/{segment(merchant_id)}/slot-policy", caller, json=body, idempotent=True)


async def get_offer(
    order_id: str, caller: Caller, slots: UpstreamClient, orders: UpstreamClient, *, wait_s: float = 5.0
) -> UpstreamResponse:
    """The order's offer. Right after a purchase the slots service has not built it yet (it learns
    of the order from Kafka a moment later): when the order exists for this caller, wait for the
    offer (up to `wait_s`) rather than answer that something just bought does not exist."""
    path = f"/orders/{segment(order_id)}/offer"
    response = await slots.request("GET", path, caller)
    if not _offer_not_found(response):
        return response
    if (await orders.request("GET", f"/orders/{segment(order_id)}", caller)).status_code != 200:
        return response  # not the caller's order, or none: the 404 stands, at once
    deadline = time.monotonic() + wait_s
    while _offer_not_found(response) and time.monotonic() < deadline:
        await asyncio.sleep(_OFFER_POLL_S)
        response = await slots.request("GET", path, caller)
    return response


_OFFER_POLL_S = 0.05


def _offer_not_found(response: UpstreamResponse) -> bool:
    if response.status_code != 404:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("type") == PROBLEM_BASE + "offer-not-found"


async def request_offer(order_id: str, caller: Caller, slots: UpstreamClient) -> UpstreamResponse:
    return await slots.request("POST", f"/orders/{segment(order_id)}/offer", caller)


async def choose(order_id: str, body: dict[str, Any], caller: Caller, slots: UpstreamClient) -> UpstreamResponse:
    return await slots.request("PUT", f"/orders/{segment(order_id)}/choice", caller, json=body, idempotent=True)
