"""The host-stand waitlist: a merchant's staff add walk-in parties and call, seat, mark no-show
or cancel them. Every change is one conditional update of the merchant's queue document that
also carries the QueueTick it causes; a change that raced another is read and tried again."""

from __future__ import annotations

import asyncio
import random
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from liveline_shared.callers import Caller

from ..adapters.queues import COLLECTION as LIVE_QUEUES
from ..domain import waitlist
from ..domain.errors import Forbidden, QueueBusy
from ..domain.waitlist import LiveQueue, Party
from .dependencies import Dependencies, runs_waitlist
from .live import queue_tick
from .zones import timezone_of

log = structlog.get_logger(__name__)

# Tries of a change that keeps meeting a concurrent one before it answers 409 queue-busy.
ATTEMPTS = 8
ACTIONS = {"call": None, "seat": "seated", "no-show": "no_show", "cancel": "cancelled"}


@dataclass(frozen=True)
class AddParty:
    size: int
    name: str | None = None
    phone: str | None = None


def _staff_only(caller: Caller | None, merchant_id: str) -> None:
    if not runs_waitlist(caller, merchant_id):
        raise Forbidden("only the merchant's staff run its waitlist")


# One change at a time per merchant in this process; replicas that race still meet `version`.
_LOCKS: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


async def change_waitlist(merchant_id: str, deps: Dependencies, change: Callable[[LiveQueue], LiveQueue]) -> LiveQueue:
    """Applies `change` to the merchant's queue and stores it with its QueueTick, retrying races.
    A `change` that returns the queue it was given changes nothing and stores nothing."""
    lock = _LOCKS.get(merchant_id)
    if lock is None:
        lock = _LOCKS[merchant_id] = asyncio.Lock()
    async with lock:
        return await _change_waitlist_once_free(merchant_id, deps, change)


async def _change_waitlist_once_free(merchant_id: str, deps: Dependencies, change: Callable[[LiveQueue], LiveQueue]) -> LiveQueue:
    for attempt in range(ATTEMPTS):
        if attempt:
            await asyncio.sleep(random.uniform(0, 0.02 * attempt))  # another replica changed it: step aside
        now = deps.now()
        queue = await deps.queues.get(merchant_id)
        if queue is None:
            queue = waitlist.new_queue(merchant_id, await timezone_of(merchant_id, deps), now)
        changed = change(queue)
        if changed is queue:  # nothing to change (a repeated request): no update, no tick
            return changed
        lease = deps.write_lease()
        if await deps.queues.save(changed, (queue_tick(changed, now),), now, lease):
            deps.notify(LIVE_QUEUES, merchant_id, lease)
            if bool(queue.parties) != bool(changed.parties):
                await deps.queues.mark_active(merchant_id, bool(changed.parties))
            return changed
    raise QueueBusy("the waitlist kept changing meanwhile; try again")


async def add_party(merchant_id: str, command: AddParty, caller: Caller | None, deps: Dependencies) -> Party:
    _staff_only(caller, merchant_id)
    waitlist.check_party(command.size, command.name, command.phone)
    party_id = uuid.uuid4().hex
    added: list[Party] = []

    def add(queue: LiveQueue) -> LiveQueue:
        changed, party = waitlist.add_party(queue, party_id, command.size, deps.now(), name=command.name,
                                            phone=command.phone)
        added[:] = [party]
        return changed

    await change_waitlist(merchant_id, deps, add)
    log.info("party_added", merchant_id=merchant_id, ticket=added[0].ticket, size=command.size)
    return added[0]


async def change_party(merchant_id: str, party_id: str, action: str, caller: Caller | None, deps: Dependencies) -> LiveQueue:
    """call, seat, no-show or cancel a party of the merchant's waitlist."""
    _staff_only(caller, merchant_id)
    outcome = ACTIONS[action]

    def apply(queue: LiveQueue) -> LiveQueue:
        now = deps.now()
        return waitlist.call(queue, party_id, now) if outcome is None else waitlist.leave(queue, party_id, outcome, now)

    changed = await change_waitlist(merchant_id, deps, apply)
    log.info("party_changed", merchant_id=merchant_id, party_id=party_id, action=action)
    return changed


async def waitlist_of(merchant_id: str, caller: Caller | None, deps: Dependencies) -> LiveQueue:
    """The parties waiting, with their names and phones: for the merchant's staff only."""
    _staff_only(caller, merchant_id)
    queue = await deps.queues.get(merchant_id)
    if queue is None:
        queue = waitlist.new_queue(merchant_id, await timezone_of(merchant_id, deps), deps.now())
    return queue
