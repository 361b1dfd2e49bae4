"""Choosing (S103): the buyer picks one or several slots of the current offer; a new choice
replaces the previous one until the first chosen slot starts. Places in capped slots are taken
one conditional update per slot, so no slot is ever oversubscribed.

A merchant without a cap: the choice and its SlotChosen are one conditional update of the
order. With a cap, a slot already full refuses at once, before anything is written; otherwise,
without multi-document transactions, a choice is a short saga: mark it in progress on the order
(one choice at a time per order) and list it in `choices_in_progress`; take the new places;
commit the choice with its SlotChosen on the order (one update); give back the places the
previous choice held and no longer needs. A failure gives back what it took. A request that
died half-way is finished by `recover_choices` (the maintenance job) after `stale_choice`.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

import structlog

from liveline_shared.callers import Caller
from liveline_shared.contracts.slots import Choose
from liveline_shared.outbox import WriteLease

from ..adapters.offers import COLLECTION as ORDER_SLOTS
from ..domain.errors import ChoiceInProgress, OfferNotFound, SlotFull
from ..domain.offers import Choice, OrderSlots, chosen_slots
from .dependencies import Dependencies
from .events import slot_chosen
from .offers import OfferView, view_of
from .policies import policy_of

log = structlog.get_logger(__name__)


async def choose(order_id: str, command: Choose, caller: Caller | None, deps: Dependencies) -> OfferView:
    order = await deps.offers.get(order_id)
    if order is None or caller is None or caller.role != "customer" or not order.belongs_to(caller.account_id):
        raise OfferNotFound("no offer for this order")
    policy = await policy_of(order.merchant_id, deps)
    now = deps.now()
    slots = chosen_slots(order, command.offer_id, command.slot_ids, now, policy.cutoff_minutes)
    previous = list(order.choice.slot_ids) if order.choice else []
    choice = Choice(command.offer_id, slots, now)
    if order.choice is not None and order.choice.offer_id == command.offer_id and previous == list(choice.slot_ids):
        return await view_of(order, now, deps, policy)  # the same choice again (a retry): nothing changes
    lease = deps.write_lease()
    if policy.capacity is None:
        # Places are counted only while the merchant caps its slots: one conditional update.
        if not await deps.offers.replace_choice(order, choice, slot_chosen(order, choice, now), now, lease):
            raise ChoiceInProgress("the order's choice changed meanwhile; read the offer and try again")
    else:
        await _choose_capped(order, choice, previous, policy.capacity, now, lease, deps)
    deps.notify(ORDER_SLOTS, order_id, lease)
    log.info("slots_chosen", order_id=order_id, slots=list(choice.slot_ids))
    return await view_of(replace(order, choice=choice, version=order.version + 1), now, deps, policy)


async def _choose_capped(order: OrderSlots, choice: Choice, previous: list[str], capacity: int, now: datetime,
                         lease: WriteLease | None, deps: Dependencies) -> None:
    """The saga of the module's docstring: take the new places, commit (taking the relay's
    `lease`), give back the old ones."""
    claims = [slot_id for slot_id in choice.slot_ids if slot_id not in previous]
    releases = [slot_id for slot_id in previous if slot_id not in choice.slot_ids]
    taken_now = await deps.capacity.taken(claims)
    full = next((slot_id for slot_id in claims if taken_now.get(slot_id, 0) >= capacity), None)
    if full is not None:  # refused before writing anything; the take below is what guarantees it
        raise SlotFull(f"{full} has no place left")
    choice_id = uuid.uuid4().hex
    if not await deps.offers.begin_choice(order, choice_id, claims, now, stale_before=now - deps.stale_choice):
        raise ChoiceInProgress("another choice for this order is being made; read the offer and try again")
    await deps.choices.start(order.order_id, choice_id, claims, releases, now)
    taken: list[str] = []
    try:
        for slot_id in claims:
            if not await deps.capacity.take(slot_id, order.order_id, capacity, now):
                raise SlotFull(f"{slot_id} has no place left")
            taken.append(slot_id)
        if not await deps.offers.commit_choice(
            order.order_id, choice_id, choice, slot_chosen(order, choice, now), now, lease
        ):
            raise ChoiceInProgress("the choice took too long and was undone; try again")
    except BaseException:
        for slot_id in taken:
            await deps.capacity.give_back(slot_id, order.order_id)
        await deps.offers.end_choice(order.order_id, choice_id)
        await deps.choices.finish(order.order_id, choice_id)
        raise
    for slot_id in releases:
        await deps.capacity.give_back(slot_id, order.order_id)
    await deps.choices.finish(order.order_id, choice_id)


async def recover_choices(deps: Dependencies) -> dict[str, int]:
    """Finishes choices whose request died: every place they took or were to give back that the
    order's current choice does not hold is given back, and the order is free for a new choice."""
    now: datetime = deps.now()
    recovered = 0
    for entry in await deps.choices.stale(before=now - deps.stale_choice):
        order = await deps.offers.get(entry["order_id"])
        held = set(order.choice.slot_ids) if order and order.choice else set()
        for slot_id in [*entry["claims"], *entry["releases"]]:
            if slot_id not in held:
                await deps.capacity.give_back(slot_id, entry["order_id"])
        await deps.offers.end_choice(entry["order_id"], entry["choice_id"])
        await deps.choices.finish(entry["order_id"], entry["choice_id"])
        recovered += 1
    return {"choices_recovered": recovered} if recovered else {}
