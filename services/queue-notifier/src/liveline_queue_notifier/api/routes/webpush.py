"""Web Push: anyone reads the server's VAPID public key; a customer subscribes a browser (its
`PushSubscription.toJSON()`), lists their browsers and unsubscribes one. Nobody sees or removes
another user's subscription (404)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from liveline_shared.api_dependencies import AuthenticatedCaller
from liveline_shared.contracts.webpush import (
    PushSubscriptionCreatedOut, PushSubscriptionIn, PushSubscriptionOut, PushSubscriptionsOut, VapidPublicKeyOut,
)
from liveline_shared.problems import problem_responses

from ...handlers import webpush
from ..deps import Deps

router = APIRouter(tags=["web push"])

SubscriptionId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="A push subscription's id")]


def subscription_out(document: dict[str, Any]) -> PushSubscriptionOut:
    return PushSubscriptionOut(subscription_id=document["_id"], endpoint=document["endpoint"],
                               expiration_time=document.get("expiration_time"), created_at=document["created_at"])


@router.get("/push/vapid-public-key", response_model=VapidPublicKeyOut, responses=problem_responses(503),
            summary="The server's VAPID public key, for pushManager.subscribe()")
async def get_vapid_public_key(deps: Deps) -> VapidPublicKeyOut:
    return VapidPublicKeyOut(public_key=webpush.vapid_public_key(deps))


@router.post("/users/me/push-subscriptions", status_code=201, response_model=PushSubscriptionCreatedOut,
             responses=problem_responses(401, 403, 422, 503), summary="Subscribe one of the caller's browsers to pushes")
async def post_push_subscription(body: PushSubscriptionIn, caller: AuthenticatedCaller, deps: Deps) -> PushSubscriptionCreatedOut:
    return PushSubscriptionCreatedOut(subscription_id=await webpush.subscribe(caller, body, deps))


@router.get("/users/me/push-subscriptions", response_model=PushSubscriptionsOut,
            responses=problem_responses(401, 403, 503), summary="The caller's browsers subscribed to pushes")
async def list_push_subscriptions(caller: AuthenticatedCaller, deps: Deps) -> PushSubscriptionsOut:
    return PushSubscriptionsOut(subscriptions=[subscription_out(d) for d in await webpush.subscriptions_of(caller, deps)])


@router.delete("/users/me/push-subscriptions/{subscription_id}", status_code=204,
               responses=problem_responses(401, 403, 404, 503), summary="Unsubscribe one of the caller's browsers")
async def delete_push_subscription(subscription_id: SubscriptionId, caller: AuthenticatedCaller, deps: Deps) -> Response:
    await webpush.unsubscribe(caller, subscription_id, deps)
    return Response(status_code=204)
