"""A merchant's push policy: when its buyers hear about its queue before their slot (its staff)."""

from __future__ import annotations

from fastapi import APIRouter

from liveline_shared.api_dependencies import AuthenticatedCaller
from liveline_shared.contracts.pushes import PushPolicyIn, PushPolicyOut
from liveline_shared.problems import problem_responses

from ... import handlers
from ..deps import Deps

# Not {merchant_id}: see routes/queues.py.
router = APIRouter(tags=["pushes"])


@router.get("/merchants/{merchant}/push-policy", response_model=PushPolicyOut, responses=problem_responses(401, 403, 503),
            summary="The lead time and cadence of the merchant's queue pushes (the merchant's staff)")
async def get_push_policy(merchant: str, caller: AuthenticatedCaller, deps: Deps) -> PushPolicyOut:
    policy = await handlers.push_policy_of(merchant, caller, deps)
    return PushPolicyOut(merchant_id=merchant, lead_seconds=policy.lead_s, cadence_seconds=policy.cadence_s)


@router.put("/merchants/{merchant}/push-policy", response_model=PushPolicyOut,
            responses=problem_responses(401, 403, 422, 503),
            summary="Set the lead time and cadence for slots chosen from now on (the merchant's staff)")
async def put_push_policy(merchant: str, body: PushPolicyIn, caller: AuthenticatedCaller, deps: Deps) -> PushPolicyOut:
    policy = await handlers.set_push_policy(merchant, body.lead_seconds, body.cadence_seconds, caller, deps)
    return PushPolicyOut(merchant_id=merchant, lead_seconds=policy.lead_s, cadence_seconds=policy.cadence_s)
