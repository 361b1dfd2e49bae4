"""The only place where the order service builds its clients and wires them together."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from liveline_shared.clock import Clock, SystemClock
from liveline_shared.maintenance import Maintenance
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



def build_order_service(
    settings: Settings, db: AsyncDatabase, clock: Clock | None = None, payments: PaymentProvider | None = None
) -> handlers.OrderService:
    timeout_s = settings.mongo_timeout_s
    return handlers.OrderService(
        merchants=MerchantsRepository(db, timeout_s),
        deals=DealsRepository(db, timeout_s),
        orders=OrdersRepository(db, timeout_s),
        purchases=PurchasesRepository(db, timeout_s),
        payments=payments or SandboxPaymentProvider(),
        clock=clock or SystemClock(),
        replay_wait=timedelta(seconds=settings.idempotent_replay_wait_s),
        pending_timeout=timedelta(seconds=settings.pending_timeout_s),
        placing=asyncio.Semaphore(settings.max_concurrent_orders),
    )


async def ensure_indexes(service: handlers.OrderService) -> None:
    await service.merchants.ensure_indexes()
    await service.deals.ensure_indexes()
    await service.orders.ensure_indexes()


def build_app(settings: Settings) -> FastAPI:
    runtime = ServiceRuntime.for_service("order", settings)
    service = build_order_service(settings, runtime.db, clock=runtime.clock)
    relay = runtime.use_outbox([ORDERS])
    service.notify = relay.notify
    # The recovery sweep finishes or undoes orders a crash left unsettled; the indexes gate readiness.
    maintenance = Maintenance(
        "order",
        ensure_indexes=lambda: ensure_indexes(service),
        job=lambda: handlers.recover_unsettled(service),
        interval_s=settings.recovery_sweep_interval_s,
    )

    async def check_mongo() -> None:
        await runtime.check_mongo()
        await maintenance.check_indexes()

    # Replaces the usual `mongo` check: orders are safe to take only once the indexes exist.
    runtime.extra_checks = {"mongo": check_mongo}
    runtime.on_startup.append(maintenance.start)
    runtime.on_shutdown.append(maintenance.stop)
    app = create_app(runtime, routers=[build_router(settings.internal_token.get_secret_value())], version="1")
    install_order_problems(app)
    app.state.order_service = service
    app.state.default_page_limit = settings.default_page_limit
    return app
