"""Merchants' queues belong to the queue-notifier: each of these hands the caller's request to it
on the internal path that serves it and returns its answer as it came. The queue-notifier decides
who may see or change what."""

from __future__ import annotations

from typing import Any

from liveline_shared.callers import Caller

from ..adapters.upstream import UpstreamClient, UpstreamResponse, segment


async def get_queue(merchant_id: str, queues: UpstreamClient) -> UpstreamResponse:
    return await queues.request("GET", f"/merchants/{segment(merchant_id)}/queue", None)


async def get_busyness(merchant_id: str, queues: UpstreamClient) -> UpstreamResponse:
    return await queues.request("GET", f"/merchants/{segment(merchant_id)}/busyness", None)


async def get_waitlist(merchant_id: str, caller: Caller, queues: UpstreamClient) -> UpstreamResponse:
    return await queues.request("GET", f"/merchants/{segment(merchant_id)}/waitlist", caller)


async def add_party(merchant_id: str, body: dict[str, Any], caller: Caller, queues: UpstreamClient) -> UpstreamResponse:
    # Not repeated after a timeout: a second walk-in party would get a second ticket.
    return await queues.request("POST", f"/merchants/{segment(merchant_id)}/waitlist", caller, json=body)


async def change_party(merchant_id: str, party_id: str, action: str, caller: Caller, queues: UpstreamClient) -> UpstreamResponse:
    # Calling again is harmless, seating twice is refused (409): safe to repeat.
    path = f"/merchants/{segment(merchant_id)}/waitlist/{segment(party_id)}/{segment(action)}"
    return await queues.request("POST", path, caller, idempotent=True)
