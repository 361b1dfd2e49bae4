"""A merchant's name and time zone, from the order service's internal API (it owns merchants).

Only the overlay needs them; names change rarely, so answers are kept in memory for a while.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from liveline_shared.callers import TOKEN_HEADER


@dataclass(frozen=True)
class MerchantCard:
    name: str
    timezone: str


class OrderServiceMerchants:
    def __init__(self, base_url: str, internal_token: str, *, timeout_s: float, keep_s: float = 300.0) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url, timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 2.0)),
            headers={TOKEN_HEADER: internal_token},
        )
        self._keep_s = keep_s
        self._known: dict[str, tuple[float, MerchantCard]] = {}

    async def close(self) -> None:
        await self._http.aclose()

    async def card(self, merchant_id: str) -> MerchantCard:
        """Raises httpx errors when the order service does not answer (the edit is retried)."""
        known = self._known.get(merchant_id)
        if known and time.monotonic() - known[0] < self._keep_s:
            return known[1]
        response = await self._http.get(f"/merchants/{quote(merchant_id, safe='')}")
        response.raise_for_status()
        body = response.json()
        card = MerchantCard(name=body["name"], timezone=body["timezone"])
        self._known[merchant_id] = (time.monotonic(), card)
        return card
