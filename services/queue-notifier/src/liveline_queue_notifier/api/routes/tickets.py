"""A buyer's ticket in a merchant's waitlist, joined from a push for one of their orders: join
(inside the lead window before a chosen slot), read where it stands, cancel. Only the order's
buyer; anyone else gets 404."""

from __future__ import annotations

from fastapi import APIRouter, Response

from liveline_shared.api_dependencies import AuthenticatedCaller
from liveline_shared.contracts.queues import QueueTicketOut
from liveline_shared.problems import problem_responses

from ... import handlers
from ..deps import Deps
from ..views import ticket_out

router = APIRouter(tags=["queues"])


@router.post("/orders/{order_id}/queue-ticket", status_code=201, response_model=QueueTicketOut,
             responses={200: {"model": QueueTicketOut, "description": "The order's ticket, made by an earlier request"},
                        **problem_responses(401, 404, 409, 503)},
             summary="Join the merchant's waitlist with the order's party (its buyer, near a chosen slot)")
async def join_queue(order_id: str, caller: AuthenticatedCaller, deps: Deps, response: Response) -> QueueTicketOut:
    ticket, created = await handlers.join_queue(order_id, caller, deps)
    if not created:
        response.status_code = 200
    return ticket_out(ticket)


@router.get("/orders/{order_id}/queue-ticket", response_model=QueueTicketOut,
            responses=problem_responses(401, 404, 503), summary="Where the order's ticket stands (its buyer)")
async def get_queue_ticket(order_id: str, caller: AuthenticatedCaller, deps: Deps) -> QueueTicketOut:
    return ticket_out(await handlers.ticket_of(order_id, caller, deps))


@router.delete("/orders/{order_id}/queue-ticket", response_model=QueueTicketOut,
               responses=problem_responses(401, 404, 409, 503), summary="Leave the waitlist (the order's buyer)")
async def cancel_queue_ticket(order_id: str, caller: AuthenticatedCaller, deps: Deps) -> QueueTicketOut:
    return ticket_out(await handlers.cancel_ticket(order_id, caller, deps))
