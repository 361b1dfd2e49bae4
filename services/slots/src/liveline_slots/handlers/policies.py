"""Slot policies: anyone reads a merchant's; its staff (and admins) replace it. A merchant
without one has the default policy in its own time zone, asked once of the order service."""

from __future__ import annotations

import structlog

from liveline_shared.callers import Caller
from liveline_shared.contracts.slots import SlotPolicyIn

from ..domain.errors import Forbidden, MerchantNotFound
from ..domain.policy import MealPeriod, SlotPolicy, default_policy
from .dependencies import Dependencies, manages

log = structlog.get_logger(__name__)


async def policy_of(merchant_id: str, deps: Dependencies) -> SlotPolicy:
    """The merchant's policy, creating the default one on first use; MerchantNotFound if unknown."""
    policy = await deps.policies.get(merchant_id)
    if policy is not None:
        return policy
    timezone = await deps.merchants.timezone(merchant_id)
    if timezone is None:
        raise MerchantNotFound(f"no merchant {merchant_id}")
    return await deps.policies.add_if_absent(default_policy(merchant_id, timezone))


async def get_policy(merchant_id: str, deps: Dependencies) -> SlotPolicy:
    return await policy_of(merchant_id, deps)


async def put_policy(merchant_id: str, change: SlotPolicyIn, caller: Caller | None, deps: Dependencies) -> SlotPolicy:
    if not manages(caller, merchant_id):
        raise Forbidden("only the merchant's staff or an admin change its slot policy")
    if await deps.merchants.timezone(merchant_id) is None:
        raise MerchantNotFound(f"no merchant {merchant_id}")
    policy = SlotPolicy(
        merchant_id=merchant_id,
        timezone=change.timezone,
        periods=tuple(MealPeriod(p.name, p.start_time(), p.end_time()) for p in change.periods),
        days_ahead=change.days_ahead,
        closed_weekdays=frozenset(change.closed_weekdays),
        closed_dates=frozenset(change.closed_dates),
        capacity=change.capacity,
        cutoff_minutes=change.cutoff_minutes,
        updated_at=deps.now(),
    )
    stored = await deps.policies.put(policy)
    log.info("slot_policy_changed", merchant_id=merchant_id, version=stored.version)
    return stored
