"""The only place where the order service builds its clients and wires them together."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from liveline_shared.clock import Clock, SystemClock
from liveline_shared.service import ServiceRuntime, create_app

from . import handlers
from .adapters.deals import DealsRepository
from .adapters.merchants import MerchantsRepository
from .adapters.orders import COLLECTION as ORDERS
from .adapters.orders import OrdersRepository
from .adapters.payments import PaymentProvider, SandboxPaymentProvider
from .adapters.purchases import PurchasesRepository
from .api import build_router
from .api.problems import install_order_problems
from .config import Settings


def build_dependencies(
    settings: Settings, db: AsyncDatabase, clock: Clock | None = None, payments: PaymentProvider | None = None
) -> handlers.Dependencies:
    timeout_s = settings.mongo_timeout_s
    return handlers.Dependencies(
        merchants=MerchantsRepository(db, timeout_s),
        deals=DealsRepository(db, timeout_s),
        orders=OrdersRepository(db, timeout_s),
        purchases=PurchasesRepository(db, timeout_s),
        payments=payments or SandboxPaymentProvider(),
        clock=clock or SystemClock(),
        replay_wait=timedelta(seconds=settings.idempotent_replay_wait_s),
        pending_timeout=timedelta(seconds=settings.pending_timeout_s),
        abandoned_grace=timedelta(seconds=settings.abandoned_grace_s),
        placing=asyncio.Semaphore(settings.max_concurrent_orders),
    )


async def ensure_indexes(deps: handlers.Dependencies) -> None:
    await deps.merchants.ensure_indexes()
    await deps.deals.ensure_indexes()
    await deps.orders.ensure_indexes()


def build_app(settings: Settings) -> FastAPI:
    runtime = ServiceRuntime.for_service("order", settings)
    deps = build_dependencies(settings, runtime.db, clock=runtime.clock)
    relay = runtime.use_outbox([ORDERS])
    deps.notify, deps.write_lease = relay.notify, relay.write_lease
    # The recovery sweep finishes or undoes orders a crash left unsettled; orders are safe to
    # take only once the indexes exist (readiness says so).
    runtime.use_maintenance(
        ensure_indexes=lambda: ensure_indexes(deps),
        job=lambda: handlers.recover_unsettled(deps),
        interval_s=settings.recovery_sweep_interval_s,
    )
    app = create_app(runtime, routers=[build_router(settings.internal_token.get_secret_value())], version="1")
    install_order_problems(app)
    app.state.dependencies = deps
    app.state.default_page_limit = settings.default_page_limit
    return app
