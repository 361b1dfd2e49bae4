"""Merchants' queues, relayed to the queue-notifier: anyone reads a merchant's live queue and its
busyness by weekday and hour; the merchant's staff run the host-stand waitlist."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from liveline_shared.contracts.queues import BusynessOut, NewParty, PartyAction, PartyOut, QueueStateOut, WaitlistOut
from liveline_shared.problems import problem_responses

from ...handlers import queues as relay
from ..deps import CurrentCaller, QueueNotifierDep
from ..upstream import ObjectId, answer_from

router = APIRouter(tags=["queues"])


@router.get(
    "/merchants/{merchant_id}/queue", response_model=QueueStateOut, responses=problem_responses(404, 422, 502, 503),
    summary="The merchant's queue now: parties and people waiting, the ticket called, the estimated wait",
    description="Anyone, no token needed. `stale: true` when the figures are older than the staleness limit.",
)
async def get_queue(merchant_id: ObjectId, queues: QueueNotifierDep, request: Request) -> Response:
    return answer_from(await relay.get_queue(merchant_id, queues), request)


@router.get(
    "/merchants/{merchant_id}/busyness", response_model=BusynessOut, responses=problem_responses(404, 422, 502, 503),
    summary="People waiting and the wait by weekday and hour, from the merchant's queue history, and now",
)
async def get_busyness(merchant_id: ObjectId, queues: QueueNotifierDep, request: Request) -> Response:
    return answer_from(await relay.get_busyness(merchant_id, queues), request)


@router.get(
    "/merchants/{merchant_id}/waitlist", response_model=WaitlistOut, responses=problem_responses(401, 403, 404, 422, 502, 503),
    summary="The waitlist with each party (the merchant's staff)",
)
async def get_waitlist(merchant_id: ObjectId, caller: CurrentCaller, queues: QueueNotifierDep, request: Request) -> Response:
    return answer_from(await relay.get_waitlist(merchant_id, caller, queues), request)


@router.post(
    "/merchants/{merchant_id}/waitlist", status_code=201, response_model=PartyOut,
    responses=problem_responses(401, 403, 404, 409, 413, 422, 502, 503),
    summary="Add a walk-in party; it gets the day's next ticket (the merchant's staff)",
)
async def add_party(
    merchant_id: ObjectId, body: NewParty, caller: CurrentCaller, queues: QueueNotifierDep, request: Request
) -> Response:
    return answer_from(await relay.add_party(merchant_id, body.model_dump(mode="json"), caller, queues), request)


@router.post(
    "/merchants/{merchant_id}/waitlist/{party_id}/{action}", response_model=WaitlistOut,
    responses=problem_responses(401, 403, 404, 409, 422, 502, 503),
    summary="Call, seat, mark no-show or cancel a party (the merchant's staff)",
)
async def change_party(
    merchant_id: ObjectId, party_id: ObjectId, action: PartyAction, caller: CurrentCaller, queues: QueueNotifierDep,
    request: Request,
) -> Response:
    return answer_from(await relay.change_party(merchant_id, party_id, action, caller, queues), request)
