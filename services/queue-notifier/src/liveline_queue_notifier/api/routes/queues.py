"""A merchant's queue: anyone reads its live state and busyness history; its staff run the
host-stand waitlist (add a party, call, seat, no-show, cancel)."""

from __future__ import annotations

from fastapi import APIRouter

from liveline_shared.api_dependencies import AuthenticatedCaller
from liveline_shared.contacts import InvalidContact, parse_contact
from liveline_shared.contracts.queues import BusynessOut, NewParty, PartyAction, PartyOut, QueueStateOut, WaitlistOut
from liveline_shared.problems import problem_responses

from ... import handlers
from ...domain.errors import InvalidParty
from ..deps import Deps
from ..views import busyness_out, party_out, state_out, waitlist_out

# Not {merchant_id}: FastAPI would take the caller's X-Liveline-Caller-Merchant parameter (also
# named merchant_id, in liveline_shared.callers) for the path parameter.
router = APIRouter(tags=["queues"])


@router.get("/merchants/{merchant}/queue", response_model=QueueStateOut, responses=problem_responses(404, 503),
            summary="The merchant's queue now: parties and people waiting, the ticket called, the estimated wait")
async def get_queue(merchant: str, deps: Deps) -> QueueStateOut:
    state, stale = await handlers.live_state_of(merchant, deps)
    return state_out(state, stale)


@router.get("/merchants/{merchant}/busyness", response_model=BusynessOut, responses=problem_responses(404, 503),
            summary="People waiting and wait by weekday and hour, from the merchant's queue history")
async def get_busyness(merchant: str, deps: Deps) -> BusynessOut:
    return busyness_out(await handlers.busyness_of(merchant, deps))


@router.get("/merchants/{merchant}/waitlist", response_model=WaitlistOut, responses=problem_responses(401, 403, 404, 503),
            summary="The waitlist with each party (the merchant's staff)")
async def get_waitlist(merchant: str, caller: AuthenticatedCaller, deps: Deps) -> WaitlistOut:
    queue = await handlers.waitlist_of(merchant, caller, deps)
    return waitlist_out(queue, deps.now())


@router.post("/merchants/{merchant}/waitlist", status_code=201, response_model=PartyOut,
             responses=problem_responses(401, 403, 404, 409, 413, 422, 503), summary="Add a walk-in party (the merchant's staff)")
async def add_party(merchant: str, body: NewParty, caller: AuthenticatedCaller, deps: Deps) -> PartyOut:
    phone = None
    if body.phone is not None:
        try:
            phone = parse_contact(body.phone).value
        except InvalidContact as error:
            raise InvalidParty(f"the phone: {error}") from None
    party = await handlers.add_party(merchant, handlers.AddParty(body.size, body.name, phone), caller, deps)
    return party_out(party, deps.now())


@router.post("/merchants/{merchant}/waitlist/{party_id}/{action}", response_model=WaitlistOut,
             responses=problem_responses(401, 403, 404, 409, 422, 503),
             summary="Call, seat, mark no-show or cancel a party (the merchant's staff)")
async def change_party(merchant: str, party_id: str, action: PartyAction, caller: AuthenticatedCaller, deps: Deps) -> WaitlistOut:
    queue = await handlers.change_party(merchant, party_id, action, caller, deps)
    return waitlist_out(queue, deps.now())
