"""Web Push, relayed to the queue-notifier: anyone reads the server's VAPID public key; a customer
subscribes a browser with its `PushSubscription.toJSON()`, lists their browsers and unsubscribes
one. A push then reaches the phone with the page closed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from liveline_shared.contracts.webpush import (
    PushSubscriptionCreatedOut, PushSubscriptionIn, PushSubscriptionsOut, VapidPublicKeyOut,
)
from liveline_shared.problems import problem_responses

from ...handlers import webpush as relay
from ..deps import CurrentCaller, QueueNotifierDep
from ..upstream import answer_from

router = APIRouter(tags=["web push"])

SubscriptionId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="A push subscription's id")]


@router.get(
    "/push/vapid-public-key", response_model=VapidPublicKeyOut, responses=problem_responses(502, 503),
    summary="The server's VAPID public key, for pushManager.subscribe()",
    description="Anyone, no token needed. Pass `public_key` (base64url) as `applicationServerKey`. 503 "
                "`web-push-unavailable` when the server has no VAPID key configured.",
)
async def get_vapid_public_key(queues: QueueNotifierDep, request: Request) -> Response:
    return answer_from(await relay.get_vapid_public_key(queues), request)


@router.post(
    "/me/push-subscriptions", status_code=201, response_model=PushSubscriptionCreatedOut,
    responses=problem_responses(401, 403, 413, 422, 502, 503),
    summary="Subscribe one of the caller's browsers to pushes (customers)",
    description="The body is the browser's `PushSubscription.toJSON()`. The same endpoint again answers the same "
                "`subscription_id`. In production the endpoint must be a public HTTPS push service (422 otherwise).",
)
async def post_push_subscription(
    body: PushSubscriptionIn, caller: CurrentCaller, queues: QueueNotifierDep, request: Request
) -> Response:
    return answer_from(await relay.subscribe(body.model_dump(by_alias=True), caller, queues), request)


@router.get(
    "/me/push-subscriptions", response_model=PushSubscriptionsOut, responses=problem_responses(401, 403, 502, 503),
    summary="The caller's browsers subscribed to pushes",
)
async def list_push_subscriptions(caller: CurrentCaller, queues: QueueNotifierDep, request: Request) -> Response:
    return answer_from(await relay.list_subscriptions(caller, queues), request)


@router.delete(
    "/me/push-subscriptions/{subscription_id}", status_code=204, responses=problem_responses(401, 403, 404, 422, 502, 503),
    summary="Unsubscribe one of the caller's browsers (404 for anyone else's)",
)
async def delete_push_subscription(
    subscription_id: SubscriptionId, caller: CurrentCaller, queues: QueueNotifierDep, request: Request
) -> Response:
    return answer_from(await relay.unsubscribe(subscription_id, caller, queues), request)
