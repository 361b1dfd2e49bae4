"""Which merchants exist. The order service owns merchants; the gateway asks it before giving a
merchant staff accounts."""

from __future__ import annotations

from typing import Protocol

from .upstream import UpstreamClient, UpstreamUnavailable, segment


class MerchantDirectory(Protocol):
    async def exists(self, merchant_id: str) -> bool: ...


class OrderServiceMerchants:
    """The gateway's MerchantDirectory: asks the order service, which owns merchants."""

    def __init__(self, orders: UpstreamClient) -> None:
        self._orders = orders

    async def exists(self, merchant_id: str) -> bool:
        response = await self._orders.request("GET", f"/merchants/{segment(merchant_id)}", None)
        if response.status_code == 200:
            return True
        if response.status_code == 404:
            return False
        raise UpstreamUnavailable(f"order: merchant lookup answered {response.status_code}")
