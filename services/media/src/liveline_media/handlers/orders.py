"""What the media service learns from the order service's events: who bought an order and
whether it was redeemed (only then may its buyer upload a video) or refunded."""

from __future__ import annotations

from liveline_shared.events import Event, OrderPlaced, OrderRedeemed, OrderRefunded

from .dependencies import Dependencies


async def record_order_event(event: Event, deps: Dependencies) -> None:
    if isinstance(event, OrderPlaced):
        await deps.grants.placed(event)
    elif isinstance(event, OrderRedeemed):
        await deps.grants.redeemed(event)
    elif isinstance(event, OrderRefunded):
        await deps.grants.refunded(event)
