"""FastAPI dependencies of the media service's routes, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from liveline_shared.api_dependencies import PageLimitQuery, PageOffset

from ..handlers import Dependencies


async def _dependencies(request: Request) -> Dependencies:
    return request.app.state.dependencies


Deps = Annotated[Dependencies, Depends(_dependencies)]


async def _page_size(request: Request, limit: PageLimitQuery = None) -> int:
    return limit or request.app.state.default_page_limit


PageLimit = Annotated[int, Depends(_page_size)]

__all__ = ["Deps", "PageLimit", "PageOffset"]
