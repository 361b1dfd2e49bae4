"""Orders, asked of the order service that owns them (its internal `GET /orders/{id}`) as the
caller: the order service answers only its buyer, the merchant's staff and admins (404 for
anyone else), so it makes the ownership decision too. The queue-notifier asks when a buyer
joins a waitlist from a push: the order's status and quantity right now, not as the orders
topic last told it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from liveline_shared.callers import Caller
from liveline_shared.log_context import current_correlation_id
from liveline_shared.merchant_directory import MerchantDirectoryUnavailable
from liveline_shared.problems import CORRELATION_ID_HEADER


class OrderServiceUnavailable(MerchantDirectoryUnavailable):
    """The order service did not answer (503 at the API, as for merchants' time zones)."""


class OrderServiceOrders:
    def __init__(self, base_url: str, internal_token: str, timeout_s: float = 5.0) -> None:
        self._internal_token = internal_token
        self._http = httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(timeout_s, connect=2.0))

    async def close(self) -> None:
        await self._http.aclose()

    async def order(self, order_id: str, caller: Caller) -> dict[str, Any] | None:
        """The order as `caller` may see it (OrderOut: status, user_id, quantity, ...); None when
        the order service does not show it to them."""
        headers = caller.headers(self._internal_token)
        correlation_id = current_correlation_id()
        if correlation_id:
            headers[CORRELATION_ID_HEADER] = correlation_id
        try:
            response = await self._http.get(f"/orders/{quote(order_id, safe='')}", headers=headers)
        except httpx.HTTPError as error:
            raise OrderServiceUnavailable(f"order service: {type(error).__name__}: {error}") from error
        if response.status_code in (404, 422):
            return None
        if response.status_code != 200:
            raise OrderServiceUnavailable(f"order service answered {response.status_code} for an order")
        return response.json()
