"""The busyness history: every QueueTick (the waitlist's own and outside systems') credits the
merchant's weekday-and-hour cells; anyone reads the week's typical figures beside today's live
value (domain/busyness.py says how they are computed)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import structlog

from liveline_shared.events import QueueTick
from liveline_shared.outbox import aware

from ..domain.busyness import HourFigure, credits, figure, outdated
from ..domain.errors import MerchantNotFound, QueueError
from ..domain.waitlist import LiveState
from .dependencies import Dependencies
from .live import live_state_of
from .zones import timezone_of

log = structlog.get_logger(__name__)


class HistoryChangedMeanwhile(QueueError):
    """Another tick of the merchant was recorded between our read and our write."""


async def record_tick_history(event: QueueTick, deps: Dependencies) -> None:
    try:
        zone = ZoneInfo(await timezone_of(event.merchant_id, deps))
    except MerchantNotFound:
        log.warning("queue_tick_for_unknown_merchant", merchant_id=event.merchant_id)
        return
    last = await deps.busyness.last_tick(event.merchant_id)
    last_at = aware(last["at"]) if last else None
    if last_at is not None and event.occurred_at <= last_at:
        return  # late or repeated: its stretch was credited already
    event_id = str(event.event_id)
    if last is not None:
        for credit in credits(zone, last_at, event.occurred_at, last["people"], last.get("wait")):  # type: ignore[arg-type]
            days = await deps.busyness.days_of(event.merchant_id, credit.weekday, credit.hour)
            forget = [day for day in outdated({**days, credit.local_date.isoformat(): {}}) if day in days]
            await deps.busyness.credit(event.merchant_id, credit, forget, event_id)
    tick = {"at": event.occurred_at, "people": event.waiting_people, "wait": event.estimated_wait_minutes}
    if not await deps.busyness.move_last_tick(event.merchant_id, last_at, tick, event_id):
        current = await deps.busyness.last_tick(event.merchant_id)
        if current is not None and aware(current["at"]) == event.occurred_at:
            return  # applied before
        raise HistoryChangedMeanwhile("the merchant's busyness changed while a tick was recorded")


@dataclass(frozen=True)
class Busyness:
    merchant_id: str
    timezone: str
    hours: tuple[HourFigure, ...]  # weekday and hours with history only
    live: LiveState
    stale: bool


async def busyness_of(merchant_id: str, deps: Dependencies) -> Busyness:
    timezone = await timezone_of(merchant_id, deps)
    today = deps.now().astimezone(ZoneInfo(timezone)).date()
    week = await deps.busyness.week(merchant_id)
    hours = tuple(
        found for (weekday, hour), days in week.items()
        if (found := figure(weekday, hour, days, before=today)) is not None
    )
    live, stale = await live_state_of(merchant_id, deps)
    return Busyness(merchant_id, timezone, hours, live, stale)
