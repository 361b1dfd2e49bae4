"""The only place where the queue-notifier service builds its clients and wires them together."""

from __future__ import annotations

from fastapi import FastAPI

from liveline_shared.service import ServiceRuntime, create_app

from .api import build_router
from .config import Settings


def build_app(settings: Settings) -> FastAPI:
    runtime = ServiceRuntime.for_service("queue-notifier", settings)
    return create_app(runtime, routers=[build_router(settings.internal_token.get_secret_value())])
