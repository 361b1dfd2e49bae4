"""A buyer's ticket in a merchant's waitlist, joined from a push, belongs to the queue-notifier:
each of these hands the caller's request to it and returns its answer as it came. The
queue-notifier decides who may join, see or cancel which ticket."""

from __future__ import annotations

from liveline_shared.callers import Caller

from ..adapters.upstream import UpstreamClient, UpstreamResponse, segment


def _path(order_id: str) -> str:
    return f"/orders/{segment(order_id)}/queue-ticket"


async def join_queue(order_id: str, caller: Caller, queues: UpstreamClient) -> UpstreamResponse:
    # Safe to repeat: one ticket per order, and a repeat answers the ticket the first one made.
    return await queues.request("POST", _path(order_id), caller, idempotent=True)


async def get_queue_ticket(order_id: str, caller: Caller, queues: UpstreamClient) -> UpstreamResponse:
    return await queues.request("GET", _path(order_id), caller)


async def cancel_queue_ticket(order_id: str, caller: Caller, queues: UpstreamClient) -> UpstreamResponse:
    # Cancelling again changes nothing: safe to repeat.
    return await queues.request("DELETE", _path(order_id), caller, idempotent=True)
