"""Joining a merchant's waitlist from a push: a buyer whose chosen slot is near (inside the lead
window) gets a ticket for a party of the voucher's size, through the same waitlist update as a
walk-in at the host stand (marked remote, with the order); reads where it stands, cancels it;
hears "you are N-th" as the line moves and "it's your turn" when the staff call it. Redemption
seats a party still in line (the guest is at the host stand), a refund cancels it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from liveline_shared.callers import Caller
from liveline_shared.events import OrderRedeemed, OrderRefunded, QueueTick
from liveline_shared.outbox import aware

from ..domain import waitlist
from ..domain.errors import AlreadyJoined, OrderClosed, OrderNotFound, OutsideLeadWindow, TicketNotFound
from ..domain.pushes import moment_key
from ..domain.waitlist import CALLED, WAITING, LiveQueue, TicketState, ticket_state
from .dependencies import Dependencies
from .inbox import deliver
from .live import PRODUCER
from .subscriptions import STOPPED
from .waitlist import change_waitlist

log = structlog.get_logger(__name__)

# A party's id is derived from its order, so a retried join (even after a crash) names the same party.
_PARTY_IDS = uuid.UUID("5f0c2a6e-8d1b-4c57-9a43-1e2b7d6c9f80")


@dataclass(frozen=True)
class Ticket:
    order_id: str
    merchant_id: str
    party_id: str
    ticket: str
    size: int
    position: int  # 1 is next; 0 once called (or gone)
    status: str  # waiting | called | seated | no_show | cancelled


def _ticket(merchant_id: str, state: TicketState) -> Ticket:
    record = state.record
    return Ticket(record.order_id, merchant_id, record.party_id, record.ticket, record.size, state.position, state.status)


def party_id_of(order_id: str) -> str:
    return uuid.uuid5(_PARTY_IDS, order_id).hex


def ticket_path(order_id: str) -> str:
    return f"/orders/{order_id}/queue-ticket"


async def _pushes_of(order_id: str, caller: Caller | None, deps: Dependencies) -> dict[str, Any] | None:
    """The order's push document if the caller is its buyer; None if it has none yet; anyone
    else: OrderNotFound."""
    if caller is None or caller.role != "customer":
        raise OrderNotFound(order_id)
    pushes = await deps.schedules.order(order_id)
    if pushes is not None and pushes.get("user_id") != caller.account_id:
        raise OrderNotFound(order_id)
    return pushes


async def _current(order_id: str, pushes: dict[str, Any] | None, deps: Dependencies) -> Ticket | None:
    merchant_id = (pushes or {}).get("merchant_id")
    if merchant_id is None:
        return None
    queue = await deps.queues.get(merchant_id)
    state = ticket_state(queue, order_id) if queue is not None else None
    return _ticket(merchant_id, state) if state is not None else None


async def _inside_lead_window(pushes: dict[str, Any], now: datetime, deps: Dependencies) -> bool:
    """From the lead time before one of the chosen slots starts (the lead it was armed with)
    until that slot ends."""
    policy = None
    for chosen in pushes.get("slots", []):
        slot = await deps.schedules.slot(chosen["slot_id"])
        if slot is not None:
            lead_s = slot["lead_s"]
        else:
            policy = policy or await deps.schedules.policy(pushes["merchant_id"])
            lead_s = policy.lead_s
        starts_at, ends_at = (aware(chosen[k]) for k in ("starts_at", "ends_at"))
        if starts_at - timedelta(seconds=lead_s) <= now < ends_at:
            return True
    return False


async def join_queue(order_id: str, caller: Caller | None, deps: Dependencies) -> tuple[Ticket, bool]:
    """The buyer's ticket for the order, and whether this call made it (a repeat answers the
    ticket the first one made, whatever became of it)."""
    pushes = await _pushes_of(order_id, caller, deps)
    assert caller is not None
    existing = await _current(order_id, pushes, deps)
    if existing is not None:
        return existing, False
    if pushes is not None and pushes.get("queue_ticket"):
        raise AlreadyJoined(pushes["queue_ticket"]["ticket"])
    assert deps.orders is not None, "the order service is not wired"
    order = await deps.orders.order(order_id, caller)
    if order is None or order.get("user_id") != caller.account_id:
        raise OrderNotFound(order_id)
    status = (pushes or {}).get("status")
    if status in STOPPED or order["status"] != "paid":
        raise OrderClosed(f"the order is {status if status in STOPPED else order['status']}")
    if pushes is None or not pushes.get("slots"):
        raise OutsideLeadWindow("no visit time is chosen for this order yet")
    if not await _inside_lead_window(pushes, deps.now(), deps):
        raise OutsideLeadWindow("the line opens to this order from the push lead time before its chosen slot "
                                "until the slot ends")
    merchant_id = pushes["merchant_id"]
    size = min(max(int(order["quantity"]), 1), waitlist.MAX_PARTY_SIZE)
    party_id = party_id_of(order_id)
    joined: list[bool] = []

    def join(queue: LiveQueue) -> LiveQueue:
        joined.clear()  # an attempt that lost a race to another replica is tried again from scratch
        if order_id in queue.remote:  # joined meanwhile (a concurrent or retried request)
            return queue
        changed, _ = waitlist.add_remote_party(queue, order_id, caller.account_id, party_id, size, deps.now())
        joined[:] = [True]
        return changed

    queue = await change_waitlist(merchant_id, deps, join)
    state = ticket_state(queue, order_id)
    assert state is not None
    # The order remembers it joined (one ticket per order, even once the waitlist forgot the party).
    await deps.schedules.save_order(order_id, {"queue_ticket": {"merchant_id": merchant_id, "party_id": party_id,
                                                                "ticket": state.record.ticket}},
                                    now=deps.now(), only_if={})
    after = await deps.schedules.order(order_id) or {}
    if after.get("status") in STOPPED:
        # Redeemed or refunded while it joined: its OrderRedeemed/OrderRefunded found no party to close.
        queue = await _close(order_id, merchant_id, after["status"], deps) or queue
        state = ticket_state(queue, order_id) or state
    if joined:
        log.info("queue_joined_from_push", merchant_id=merchant_id, order_id=order_id, ticket=state.record.ticket,
                 size=size, position=state.position)
    return _ticket(merchant_id, state), bool(joined)


async def ticket_of(order_id: str, caller: Caller | None, deps: Dependencies) -> Ticket:
    """Where the buyer's ticket stands; TicketNotFound for an order without one, and for anyone else."""
    try:
        pushes = await _pushes_of(order_id, caller, deps)
    except OrderNotFound:
        raise TicketNotFound(order_id) from None
    ticket = await _current(order_id, pushes, deps)
    if ticket is None:
        raise TicketNotFound(order_id)
    return ticket


async def cancel_ticket(order_id: str, caller: Caller | None, deps: Dependencies) -> Ticket:
    """The buyer leaves the line. A party already gone keeps its outcome: cancelling again, or
    after being seated, changes nothing and answers the ticket as it is."""
    ticket = await ticket_of(order_id, caller, deps)
    if ticket.status not in (WAITING, CALLED):
        return ticket
    queue = await _leave(order_id, ticket.merchant_id, "cancelled", deps)
    state = ticket_state(queue, order_id)
    assert state is not None
    log.info("queue_ticket_cancelled", merchant_id=ticket.merchant_id, order_id=order_id, ticket=ticket.ticket)
    return _ticket(ticket.merchant_id, state)


async def _leave(order_id: str, merchant_id: str, outcome: str, deps: Dependencies) -> LiveQueue:
    def leave(queue: LiveQueue) -> LiveQueue:
        state = ticket_state(queue, order_id)
        if state is None or state.status not in (WAITING, CALLED):
            return queue
        return waitlist.leave(queue, state.record.party_id, outcome, deps.now())

    return await change_waitlist(merchant_id, deps, leave)


async def _close(order_id: str, merchant_id: str, status: str, deps: Dependencies) -> LiveQueue | None:
    queue = await deps.queues.get(merchant_id)
    if queue is None or order_id not in queue.remote:
        return None
    return await _leave(order_id, merchant_id, "seated" if status == "redeemed" else "cancelled", deps)


async def close_ticket(event: OrderRedeemed | OrderRefunded, deps: Dependencies) -> None:
    """A voucher redeemed while its party is still in line: the guest is at the host stand, so
    the party is seated (its wait joins the history). A refund: the party is cancelled."""
    status = "redeemed" if isinstance(event, OrderRedeemed) else "refunded"
    if await _close(event.order_id, event.merchant_id, status, deps) is not None:
        log.info("queue_ticket_closed", merchant_id=event.merchant_id, order_id=event.order_id, status=status)


async def tell_positions(event: QueueTick, deps: Dependencies) -> None:
    """After a change of a waitlist (its QueueTick, from the change's outbox), each remote party
    hears where it stands now: "you are N-th" once per position, "it's your turn" once per call.
    Read from the committed waitlist, so a redelivered tick repeats nothing (dedupe keys) and a
    position that lasted less than the tick's trip is skipped for the newer one."""
    if event.producer != PRODUCER:
        return
    queue = await deps.queues.get(event.merchant_id)
    if queue is None or not queue.remote:
        return
    for party in queue.parties:
        record = queue.remote.get(party.order_id or "")
        if not party.remote or record is None:
            continue
        entry: dict[str, Any] = {
            "user_id": record.user_id, "order_id": record.order_id, "merchant_id": queue.merchant_id,
            "link_path": ticket_path(record.order_id), "ticket": party.ticket,
        }
        if party.status == CALLED and party.called_at is not None:
            entry.update(_id=f"{queue.merchant_id}:{party.party_id}:called@{moment_key(party.called_at)}",
                         subject="queue_called", position=0)
        else:
            place = waitlist.position(queue, party)
            entry.update(_id=f"{queue.merchant_id}:{party.party_id}:pos{place}", subject="queue_position", position=place)
        await deliver(entry, deps)
