"""Slot policies: anyone reads a merchant's; its staff and admins replace it."""

from __future__ import annotations

from fastapi import APIRouter

from liveline_shared.api_dependencies import OptionalCaller
from liveline_shared.contracts.slots import SlotPolicyIn, SlotPolicyOut
from liveline_shared.problems import problem_responses

from ... import handlers
from ..deps import Deps
from ..views import policy_out

# Not {merchant_id}: FastAPI would take the caller's X-Liveline-Caller-Merchant parameter (also
# named merchant_id, in liveline_shared.callers) for the path parameter.
router = APIRouter(tags=["slot policies"])


@router.get("/merchants/{merchant}/slot-policy", response_model=SlotPolicyOut,
            responses=problem_responses(404, 503), summary="A merchant's slot policy (the default until staff set one)")
async def get_policy(merchant: str, deps: Deps) -> SlotPolicyOut:
    return policy_out(await handlers.get_policy(merchant, deps))


@router.put("/merchants/{merchant}/slot-policy", response_model=SlotPolicyOut,
            responses=problem_responses(401, 403, 404, 413, 422, 503), summary="Replace a merchant's slot policy (its staff)")
async def put_policy(merchant: str, body: SlotPolicyIn, caller: OptionalCaller, deps: Deps) -> SlotPolicyOut:
    return policy_out(await handlers.put_policy(merchant, body, caller, deps))
