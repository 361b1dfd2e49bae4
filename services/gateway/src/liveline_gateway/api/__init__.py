"""HTTP entrypoints of the gateway, versioned under /v1 (health, readiness and metrics come from liveline_shared)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute

from .routes import accounts, admin, catalog, orders, pushes, queues, sessions, slots, stream, tickets, videos, webpush


def _operation_id(route: APIRoute) -> str:
    # The route's function name (get_deal, place_order): what generated clients call the method.
    return route.name


router = APIRouter(prefix="/v1", generate_unique_id_function=_operation_id)
for routes in (accounts, sessions, admin, catalog, orders, slots, queues, tickets, pushes, stream, videos, webpush):
    router.include_router(routes.router)
