"""The only place where the slots service builds its clients and wires them together."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from liveline_shared.clock import Clock, SystemClock
from liveline_shared.service import ServiceRuntime, create_app

from . import consumers, handlers
from .adapters.capacity import CapacityRepository
from .adapters.choices import ChoicesInProgress
from .adapters.history import HistoryRepository
from liveline_shared.merchant_directory import OrderServiceMerchants
from .adapters.offers import COLLECTION as ORDER_SLOTS
from .adapters.offers import OffersRepository
from .adapters.policies import PoliciesRepository
from .api import build_router
from .api.problems import install_slots_problems
from .config import Settings


def build_dependencies(
    settings: Settings, db: AsyncDatabase, merchants: handlers.dependencies.MerchantDirectory, clock: Clock | None = None
) -> handlers.Dependencies:
    timeout_s = settings.mongo_timeout_s
    return handlers.Dependencies(
        policies=PoliciesRepository(db, timeout_s),
        offers=OffersRepository(db, timeout_s),
        capacity=CapacityRepository(db, timeout_s),
        choices=ChoicesInProgress(db, timeout_s),
        history=HistoryRepository(db, timeout_s),
        merchants=merchants,
        clock=clock or SystemClock(),
        stale_choice=timedelta(seconds=settings.stale_choice_s),
    )


async def ensure_indexes(db: AsyncDatabase) -> None:
    # Every hot read and write is by `_id`; the one scan (stale choices) is of a collection that
    # holds only choices being made right now.
    return None


def build_app(settings: Settings) -> FastAPI:
    runtime = ServiceRuntime.for_service("slots", settings)
    merchants = OrderServiceMerchants(settings.order_url, settings.internal_token.get_secret_value(), settings.order_timeout_s)
    runtime.on_shutdown.append(merchants.close)
    deps = build_dependencies(settings, runtime.db, merchants, clock=runtime.clock)
    if settings.relay_enabled:
        relay = runtime.use_outbox([ORDER_SLOTS])
        deps.notify, deps.write_lease = relay.notify, relay.write_lease
    consumers.register(runtime.broker, runtime.db, deps, group_prefix=settings.consumer_group_prefix)
    runtime.use_maintenance(
        ensure_indexes=lambda: ensure_indexes(runtime.db),
        job=lambda: handlers.recover_choices(deps),
        interval_s=settings.recovery_sweep_interval_s,
    )
    app = create_app(runtime, routers=[build_router(settings.internal_token.get_secret_value())], version="1")
    install_slots_problems(app)
    app.state.dependencies = deps
    return app
