"""The only place where the order service builds its clients and wires them together."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import structlog
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

log = structlog.get_logger(__name__)


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


class Maintenance:
    """Creates the indexes (retrying until the database answers), then runs the recovery sweep.

    It runs in the background so the service starts without its database and reports not-ready
    (its `mongo` check) until the indexes exist.
    """

    def __init__(self, service: handlers.OrderService, sweep_interval_s: float) -> None:
        self._service = service
        self._sweep_interval_s = sweep_interval_s
        self._indexes_ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="order-maintenance")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def check_indexes(self) -> None:
        if not self._indexes_ready.is_set():
            raise RuntimeError("the order indexes are not created yet")

    async def _run(self) -> None:
        delay = 0.2
        while not self._indexes_ready.is_set():
            try:
                await ensure_indexes(self._service)
                self._indexes_ready.set()
            except Exception as error:  # noqa: BLE001 - retried with capped backoff
                log.warning("order_indexes_failed", error=str(error), retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        while True:
            await asyncio.sleep(self._sweep_interval_s)
            try:
                handled = await handlers.recover_unsettled(self._service)
                if handled:
                    log.info("order_recovery_sweep", handled=handled)
            except Exception as error:  # noqa: BLE001 - the next round tries again
                log.warning("order_recovery_sweep_failed", error=str(error))


def build_app(settings: Settings) -> FastAPI:
    runtime = ServiceRuntime.for_service("order", settings)
    service = build_order_service(settings, runtime.db, clock=runtime.clock)
    relay = runtime.use_outbox([ORDERS])
    service.notify = relay.notify
    maintenance = Maintenance(service, settings.recovery_sweep_interval_s)

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
