"""Which merchants exist. The order service owns merchants; until it answers that question,
the gateway accepts any well-formed merchant id."""

from __future__ import annotations

from typing import Protocol


class MerchantDirectory(Protocol):
    async def exists(self, merchant_id: str) -> bool: ...


class AnyMerchant:
    """Stands in for the order service: every merchant id exists. Replace in bootstrap.py
    with a client of the order service (with the caller's headers and a timeout)."""

    async def exists(self, merchant_id: str) -> bool:
        return True
