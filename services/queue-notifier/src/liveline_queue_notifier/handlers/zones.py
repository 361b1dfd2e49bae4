"""A merchant's time zone (its local day numbers the tickets and buckets the busyness history)."""

from __future__ import annotations

from ..domain.errors import MerchantNotFound
from .dependencies import Dependencies


async def timezone_of(merchant_id: str, deps: Dependencies) -> str:
    """Kept after the first answer; MerchantNotFound for a merchant the order service does not know."""
    timezone = await deps.zones.get(merchant_id)
    if timezone is None:
        timezone = await deps.merchants.timezone(merchant_id)
        if timezone is None:
            raise MerchantNotFound(f"no merchant {merchant_id}")
        await deps.zones.put(merchant_id, timezone)
    return timezone
