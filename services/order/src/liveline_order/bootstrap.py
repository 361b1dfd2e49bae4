"""The only place where the order service builds its clients and wires them together."""

from __future__ import annotations

from fastapi import FastAPI

from liveline_shared.service import ServiceRuntime, create_app

from . import api
from .config import Settings


def build_app(settings: Settings) -> FastAPI:
    runtime = ServiceRuntime.for_service("order", settings)
    return create_app(runtime, routers=[api.router])
