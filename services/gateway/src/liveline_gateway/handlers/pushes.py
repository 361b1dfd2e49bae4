"""Pushes belong to the queue-notifier: a merchant's push policy, the caller's inbox, muting an
order's pushes. Each of these hands the caller's request to it on the internal path that serves
it and returns its answer as it came; the queue-notifier decides who may see or change what."""

from __future__ import annotations

from typing import Any

from liveline_shared.callers import Caller

from ..adapters.upstream import UpstreamClient, UpstreamResponse, segment


async def get_push_policy(merchant_id: str, caller: Caller, queues: UpstreamClient) -> UpstreamResponse:
    return await queues.request("GET", f"/merchants/{segment(merchant_id)}/push-policy", caller)


async def put_push_policy(merchant_id: str, body: dict[str, Any], caller: Caller, queues: UpstreamClient) -> UpstreamResponse:
    return await queues.request("PUT", f"/merchants/{segment(merchant_id)}/push-policy", caller, json=body)


async def list_notifications(caller: Caller, limit: int, before: str | None, queues: UpstreamClient) -> UpstreamResponse:
    return await queues.request("GET", "/users/me/notifications", caller, params={"limit": limit, "before": before})


async def read_notification(notification_id: str, caller: Caller, queues: UpstreamClient) -> UpstreamResponse:
    # Marking read twice is harmless: safe to repeat.
    path = f"/users/me/notifications/{segment(notification_id)}/read"
    return await queues.request("POST", path, caller, idempotent=True)


async def put_push_mute(order_id: str, body: dict[str, Any], caller: Caller, queues: UpstreamClient) -> UpstreamResponse:
    return await queues.request("PUT", f"/orders/{segment(order_id)}/push-mute", caller, json=body)
