"""The order service's internal HTTP API (health, readiness and metrics come from liveline_shared).

Only the gateway calls it: every route needs the shared internal token, and reads the caller
from the headers the gateway sets (liveline_shared.callers).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from liveline_shared.api_dependencies import internal_token_checker

from .routes import deals, merchants, orders, redemptions


def build_router(internal_token: str) -> APIRouter:
    router = APIRouter(dependencies=[Depends(internal_token_checker(internal_token))])
    for routes in (merchants, deals, orders, redemptions):
        router.include_router(routes.router)
    return router
