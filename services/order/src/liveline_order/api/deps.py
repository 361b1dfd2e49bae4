"""FastAPI dependencies of the order service's routes, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from ..handlers import OrderService


async def _order_service(request: Request) -> OrderService:
    return request.app.state.order_service


ServiceDep = Annotated[OrderService, Depends(_order_service)]


async def _page_size(request: Request, limit: Annotated[int | None, Query(ge=1, le=100)] = None) -> int:
    return limit or request.app.state.default_page_limit


PageLimit = Annotated[int, Depends(_page_size)]
PageOffset = Annotated[int, Query(ge=0, le=100_000, description="How many items to skip.")]
