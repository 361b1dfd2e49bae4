"""Which merchants exist. The order service owns merchants; the gateway asks it
(adapters/order_service.py: OrderServiceMerchants) before giving a merchant staff accounts."""

from __future__ import annotations

from typing import Protocol


class MerchantDirectory(Protocol):
    async def exists(self, merchant_id: str) -> bool: ...
