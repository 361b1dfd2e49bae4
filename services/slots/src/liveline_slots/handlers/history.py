"""The merchant's queue history, learned from QueueTick: each tick's wait is credited, for the
time until the next tick, to the meal periods it falls in (domain/waits.py). Offers read it to
predict each slot's wait."""

from __future__ import annotations

from typing import Any

import structlog

from liveline_shared.events import QueueTick
from liveline_shared.outbox import aware

from ..domain.errors import MerchantNotFound, SlotsError
from ..domain.waits import credits, outdated
from .dependencies import Dependencies
from .policies import policy_of

log = structlog.get_logger(__name__)


class HistoryChangedMeanwhile(SlotsError):
    """Another tick of the merchant was recorded between our read and our write."""


async def record_queue_tick(event: QueueTick, deps: Dependencies) -> None:
    try:
        policy = await policy_of(event.merchant_id, deps)
    except MerchantNotFound:
        # A queue system publishing for a merchant nobody knows: nothing to learn from it.
        log.warning("queue_tick_for_unknown_merchant", merchant_id=event.merchant_id)
        return
    history = await deps.history.get(event.merchant_id)
    last = history.get("last_tick")
    at = event.occurred_at
    last_at = aware(last["at"]) if last else None
    if last_at is not None and at <= last_at:
        log.info("queue_tick_out_of_order", merchant_id=event.merchant_id)
        return
    update: dict[str, Any] = {"$set": {"last_tick": {"at": at, "wait_minutes": event.estimated_wait_minutes,
                                                        "waiting_people": event.waiting_people}}}
    if last is not None and last.get("wait_minutes") is not None:
        increments: dict[str, float] = {}
        services = dict(history.get("services", {}))
        for credit in credits(policy, last_at, at, last["wait_minutes"]):  # type: ignore[arg-type]
            prefix = f"services.{credit.service_key}"
            update["$set"].update({f"{prefix}.date": credit.local_date.isoformat(), f"{prefix}.weekday": credit.weekday,
                                   f"{prefix}.period": credit.period})
            increments[f"{prefix}.covered_s"] = credit.seconds
            increments[f"{prefix}.wait_s"] = credit.wait_seconds
            services.setdefault(credit.service_key, {"date": credit.local_date.isoformat(), "weekday": credit.weekday,
                                                     "period": credit.period})
        if increments:
            update["$inc"] = increments
        forgotten = [key for key in outdated(services) if f"services.{key}.date" not in update["$set"]]
        if forgotten:
            update["$unset"] = {f"services.{key}": "" for key in forgotten}
    if not await deps.history.record(event.merchant_id, last_at, update, str(event.event_id)):
        current = await deps.history.get(event.merchant_id)
        if str(event.event_id) in current.get("_applied", ()):
            return
        raise HistoryChangedMeanwhile("the merchant's history changed while a tick was recorded")
