"""Slot policies, offers and choices belong to the slots service: each of these hands the
caller's request to it on the internal path that serves it and returns its answer as it came.
The slots service decides who may see or change what."""

from __future__ import annotations

from typing import Any

import httpx

from liveline_shared.callers import Caller

from ..adapters.upstream import UpstreamClient, segment


async def get_policy(merchant_id: str, caller: Caller | None, slots: UpstreamClient) -> httpx.Response:
    return await slots.request("GET", f"/merchants/{segment(merchant_id)}/slot-policy", caller)


async def put_policy(merchant_id: str, body: dict[str, Any], caller: Caller, slots: UpstreamClient) -> httpx.Response:
    # Replacing a policy with the same body twice gives the same policy: safe to repeat.
    return await slots.request("PUT", f"/merchants/{segment(merchant_id)}/slot-policy", caller, json=body, idempotent=True)


async def get_offer(order_id: str, caller: Caller, slots: UpstreamClient) -> httpx.Response:
    return await slots.request("GET", f"/orders/{segment(order_id)}/offer", caller)


async def request_offer(order_id: str, caller: Caller, slots: UpstreamClient) -> httpx.Response:
    return await slots.request("POST", f"/orders/{segment(order_id)}/offer", caller)


async def choose(order_id: str, body: dict[str, Any], caller: Caller, slots: UpstreamClient) -> httpx.Response:
    return await slots.request("PUT", f"/orders/{segment(order_id)}/choice", caller, json=body, idempotent=True)
