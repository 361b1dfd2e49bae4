"""FastAPI dependencies of the queue-notifier's routes, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..handlers import Dependencies


async def _dependencies(request: Request) -> Dependencies:
    return request.app.state.dependencies


Deps = Annotated[Dependencies, Depends(_dependencies)]
