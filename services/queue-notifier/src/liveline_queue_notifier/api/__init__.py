"""The queue-notifier's internal HTTP API (health, readiness and metrics come from liveline_shared).

Only the gateway calls it: every route needs the shared internal token, and reads the caller
from the headers the gateway sets (liveline_shared.callers). One module per resource in routes/.
"""

from __future__ import annotations

from fastapi import APIRouter

from liveline_shared.api_dependencies import internal_api

from .routes import inbox, push_policy, queues, tickets, webpush


def build_router(internal_token: str) -> APIRouter:
    return internal_api(internal_token, [queues.router, push_policy.router, inbox.router, tickets.router, webpush.router])
