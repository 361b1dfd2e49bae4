"""Joining a merchant's waitlist from a push, relayed to the queue-notifier: the buyer of an order
whose chosen slot is near joins with a party of the voucher's size, reads where the ticket
stands and cancels it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from liveline_shared.contracts.queues import QueueTicketOut
from liveline_shared.problems import problem_responses

from ...handlers import tickets as relay
from ..deps import CurrentCaller, QueueNotifierDep
from ..upstream import ObjectId, answer_from

router = APIRouter(tags=["queues"])


@router.post(
    "/orders/{order_id}/queue-ticket", status_code=201, response_model=QueueTicketOut,
    responses={200: {"model": QueueTicketOut, "description": "The order's ticket, made by an earlier request"},
               **problem_responses(401, 404, 409, 422, 502, 503)},
    summary="Join the merchant's waitlist from a push with the order's party (its buyer, near a chosen slot)",
    description="Open from the merchant's push lead time before one of the order's chosen slots until that slot ends "
                "(409 `outside-lead-window`, also with no slot chosen); 409 `order-closed` once redeemed or refunded. "
                "The party is the order's quantity (at most 20). One ticket per order: a repeat answers 200 with the "
                "same ticket, whatever became of it. 404 `order-not-found` for anyone but the buyer.",
)
async def join_queue(order_id: ObjectId, caller: CurrentCaller, queues: QueueNotifierDep, request: Request) -> Response:
    return answer_from(await relay.join_queue(order_id, caller, queues), request)


@router.get(
    "/orders/{order_id}/queue-ticket", response_model=QueueTicketOut, responses=problem_responses(401, 404, 422, 502, 503),
    summary="Where the order's ticket stands: waiting (position 1 is next), called, seated, no-show or cancelled",
)
async def get_queue_ticket(order_id: ObjectId, caller: CurrentCaller, queues: QueueNotifierDep, request: Request) -> Response:
    return answer_from(await relay.get_queue_ticket(order_id, caller, queues), request)


@router.delete(
    "/orders/{order_id}/queue-ticket", response_model=QueueTicketOut, responses=problem_responses(401, 404, 422, 502, 503),
    summary="Leave the waitlist (the order's buyer); again, or once gone, it answers the ticket as it is",
)
async def cancel_queue_ticket(
    order_id: ObjectId, caller: CurrentCaller, queues: QueueNotifierDep, request: Request
) -> Response:
    return answer_from(await relay.cancel_queue_ticket(order_id, caller, queues), request)
