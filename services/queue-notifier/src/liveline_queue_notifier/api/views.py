"""The queue-notifier's answers, built from the domain (contract: liveline_shared.contracts.queues)."""

from __future__ import annotations

from datetime import datetime

from liveline_shared.contracts.queues import (
    BandOut, BusynessOut, EstimateOut, HourOut, PartyOut, QueueStateOut, QueueTicketOut, WaitlistOut,
)

from ..domain.waitlist import LiveQueue, LiveState, Party, live_state
from ..handlers.busyness import Busyness
from ..handlers.tickets import Ticket


def state_out(state: LiveState, stale: bool) -> QueueStateOut:
    estimate = state.estimate
    return QueueStateOut(
        merchant_id=state.merchant_id, waiting_parties=state.waiting_parties, waiting_people=state.waiting_people,
        bands=[BandOut(band=b.band, parties=b.parties, people=b.people) for b in state.bands],  # type: ignore[arg-type]
        longest_wait_minutes=state.longest_wait_minutes, calling=state.calling,
        estimate=EstimateOut(low_minutes=estimate.low_minutes, high_minutes=estimate.high_minutes,
                             enough_history=estimate.enough_history, basis=estimate.basis),
        measured_at=state.measured_at, source=state.source, stale=stale,  # type: ignore[arg-type]
    )


def party_out(party: Party, now: datetime) -> PartyOut:
    return PartyOut(
        party_id=party.party_id, ticket=party.ticket, size=party.size, status=party.status,  # type: ignore[arg-type]
        joined_at=party.joined_at, called_at=party.called_at,
        waited_minutes=max(int((now - party.joined_at).total_seconds() // 60), 0),
        name=party.name, phone=party.phone, remote=party.remote,
    )


def waitlist_out(queue: LiveQueue, now: datetime) -> WaitlistOut:
    state = state_out(live_state(queue, now), stale=False)
    return WaitlistOut(**state.model_dump(), parties=[party_out(party, now) for party in queue.parties])


def busyness_out(busyness: Busyness) -> BusynessOut:
    return BusynessOut(
        merchant_id=busyness.merchant_id, timezone=busyness.timezone,
        hours=[HourOut(weekday=h.weekday, hour=h.hour, people=h.people, people_low=h.people_low,  # type: ignore[arg-type]
                       people_high=h.people_high, wait_low_minutes=h.wait_low_minutes,
                       wait_high_minutes=h.wait_high_minutes, days=h.days) for h in busyness.hours],
        live=state_out(busyness.live, busyness.stale),
    )


def ticket_out(ticket: Ticket) -> QueueTicketOut:
    return QueueTicketOut(order_id=ticket.order_id, merchant_id=ticket.merchant_id, party_id=ticket.party_id,
                          ticket=ticket.ticket, size=ticket.size, position=ticket.position,
                          status=ticket.status)  # type: ignore[arg-type]
