"""Web Push belongs to the queue-notifier: the server's VAPID public key and the caller's browser
subscriptions. Each of these hands the request to it on the internal path that serves it and
returns its answer as it came; the queue-notifier decides who may see or change what."""

from __future__ import annotations

from typing import Any

from liveline_shared.callers import Caller

from ..adapters.upstream import UpstreamClient, UpstreamResponse, segment


async def get_vapid_public_key(queues: UpstreamClient) -> UpstreamResponse:
    # Not repeated on a 503: that one means "no VAPID key configured", not "try again", and the
    # client should see the queue-notifier's own problem document rather than upstream-unavailable.
    return await queues.request("GET", "/push/vapid-public-key", None, idempotent=False)


async def subscribe(body: dict[str, Any], caller: Caller, queues: UpstreamClient) -> UpstreamResponse:
    # The same endpoint again answers the same subscription: safe to repeat.
    return await queues.request("POST", "/users/me/push-subscriptions", caller, json=body, idempotent=True)


async def list_subscriptions(caller: Caller, queues: UpstreamClient) -> UpstreamResponse:
    return await queues.request("GET", "/users/me/push-subscriptions", caller)


async def unsubscribe(subscription_id: str, caller: Caller, queues: UpstreamClient) -> UpstreamResponse:
    return await queues.request("DELETE", f"/users/me/push-subscriptions/{segment(subscription_id)}", caller)
