"""Merchants, deals, orders and redemptions belong to the order service: each of these hands the
caller's request to it, on the internal path that serves it, and returns its answer as it came.

The order service decides who may see or change what; the gateway has already checked the
token (and, for admin routes, the role) and validated the body against the shared contract.
"""

from __future__ import annotations

from typing import Any

from liveline_shared.callers import Caller
from liveline_shared.contracts.orders import IDEMPOTENCY_KEY_HEADER

from ..adapters.upstream import UpstreamClient, UpstreamResponse, segment


async def create_merchant(body: dict[str, Any], admin: Caller, orders: UpstreamClient) -> UpstreamResponse:
    return await orders.request("POST", "/merchants", admin, json=body)


async def get_merchant(merchant_id: str, caller: Caller | None, orders: UpstreamClient) -> UpstreamResponse:
    return await orders.request("GET", f"/merchants/{segment(merchant_id)}", caller)


async def list_deals(query: dict[str, Any], caller: Caller | None, orders: UpstreamClient) -> UpstreamResponse:
    return await orders.request("GET", "/deals", caller, params=query)


async def get_deal(deal_id: str, caller: Caller | None, orders: UpstreamClient) -> UpstreamResponse:
    return await orders.request("GET", f"/deals/{segment(deal_id)}", caller)


async def create_deal(merchant_id: str, body: dict[str, Any], caller: Caller, orders: UpstreamClient) -> UpstreamResponse:
    return await orders.request("POST", f"/merchants/{segment(merchant_id)}/deals", caller, json=body)


async def change_deal(deal_id: str, change: dict[str, Any], caller: Caller, orders: UpstreamClient) -> UpstreamResponse:
    """`change` holds only the fields the client sent: the order service tells "left out" from "set"."""
    return await orders.request("PATCH", f"/deals/{segment(deal_id)}", caller, json=change)


async def place_order(
    body: dict[str, Any], idempotency_key: str, caller: Caller, orders: UpstreamClient
) -> UpstreamResponse:
    # The key makes a repeat harmless, so a timed-out attempt may be retried.
    return await orders.request(
        "POST", "/orders", caller, json=body, headers={IDEMPOTENCY_KEY_HEADER: idempotency_key}, idempotent=True
    )


async def list_orders(query: dict[str, Any], caller: Caller, orders: UpstreamClient) -> UpstreamResponse:
    return await orders.request("GET", "/orders", caller, params=query)


async def get_order(order_id: str, caller: Caller, orders: UpstreamClient) -> UpstreamResponse:
    return await orders.request("GET", f"/orders/{segment(order_id)}", caller)


async def refund_order(order_id: str, caller: Caller, orders: UpstreamClient) -> UpstreamResponse:
    return await orders.request("POST", f"/orders/{segment(order_id)}/refund", caller)


async def redeem(body: dict[str, Any], caller: Caller, orders: UpstreamClient) -> UpstreamResponse:
    return await orders.request("POST", "/redemptions", caller, json=body)
