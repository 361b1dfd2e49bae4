"""The only place where the gateway service builds its clients and wires them together."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import structlog
from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from liveline_shared.clock import Clock, SystemClock
from liveline_shared.service import ServiceRuntime, create_app

from . import api
from .adapters.accounts_repository import AccountsRepository
from .adapters.merchants import MerchantDirectory
from .adapters.order_service import OrderServiceClient, OrderServiceMerchants
from .adapters.passwords import Passwords
from .adapters.rate_limits import Limit, RateLimits
from .adapters.tokens import AccessTokens, RefreshTokens
from .api.problems import describe_problems_in_openapi, install_accounts_problems
from .config import Settings
from .handlers import Accounts, LoginLimits

log = structlog.get_logger(__name__)


def build_accounts(
    settings: Settings, db: AsyncDatabase, merchants: MerchantDirectory, clock: Clock | None = None
) -> Accounts:
    clock = clock or SystemClock()
    timeout_s = settings.mongo_timeout_s
    return Accounts(
        repository=AccountsRepository(db, timeout_s),
        passwords=Passwords(),
        access_tokens=AccessTokens(
            settings.signing_key.get_secret_value(), timedelta(seconds=settings.access_token_ttl_s), clock
        ),
        refresh_tokens=RefreshTokens(db, timedelta(seconds=settings.refresh_token_ttl_s), clock, timeout_s),
        rate_limits=RateLimits(db, clock, timeout_s),
        login_limits=LoginLimits(
            failures_per_account=Limit(
                "login-failures-per-account",
                settings.login_failures_per_account,
                timedelta(seconds=settings.login_failure_window_s),
            ),
            attempts_per_address=Limit(
                "login-attempts-per-address",
                settings.login_attempts_per_address,
                timedelta(seconds=settings.login_address_window_s),
            ),
        ),
        merchants=merchants,
        clock=clock,
    )


async def ensure_indexes(accounts: Accounts) -> None:
    await accounts.repository.ensure_indexes()
    await accounts.refresh_tokens.ensure_indexes()
    await accounts.rate_limits.ensure_indexes()


class Housekeeping:
    """Creates the indexes (retrying until the database answers) and purges old rate-limit windows.

    It runs in the background so the gateway starts without its database and reports not-ready
    (its `mongo` check) until the unique indexes that guard logins exist.
    """

    def __init__(self, accounts: Accounts, purge_interval_s: float) -> None:
        self._accounts = accounts
        self._purge_interval_s = purge_interval_s
        self._indexes_ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="gateway-housekeeping")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def check_indexes(self) -> None:
        if not self._indexes_ready.is_set():
            raise RuntimeError("the account indexes are not created yet")

    async def _run(self) -> None:
        delay = 0.2
        while not self._indexes_ready.is_set():
            try:
                await ensure_indexes(self._accounts)
                self._indexes_ready.set()
            except Exception as error:  # noqa: BLE001 - retried with capped backoff
                log.warning("gateway_indexes_failed", error=str(error), retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        while True:
            await asyncio.sleep(self._purge_interval_s)
            try:
                purged = await self._accounts.rate_limits.purge_expired()
                log.info("rate_limit_windows_purged", count=purged)
            except Exception as error:  # noqa: BLE001 - the next round tries again
                log.warning("rate_limit_purge_failed", error=str(error))


def build_order_service(settings: Settings) -> OrderServiceClient:
    return OrderServiceClient(
        settings.order_url,
        settings.internal_token.get_secret_value(),
        timeout_s=settings.order_timeout_s,
        connect_timeout_s=settings.order_connect_timeout_s,
        attempts=settings.order_attempts,
    )


def build_app(settings: Settings) -> FastAPI:
    runtime = ServiceRuntime.for_service("gateway", settings)
    order_service = build_order_service(settings)
    accounts = build_accounts(settings, runtime.db, OrderServiceMerchants(order_service))
    housekeeping = Housekeeping(accounts, settings.rate_limit_purge_interval_s)
    async def check_mongo() -> None:
        await runtime.check_mongo()
        await housekeeping.check_indexes()

    # Replaces the usual `mongo` check: the database is of use only once the indexes exist.
    runtime.extra_checks = {"mongo": check_mongo}
    runtime.on_startup.append(housekeeping.start)
    runtime.on_shutdown.append(housekeeping.stop)
    # Not a readiness check: a gateway whose order service is down still serves accounts and
    # answers order routes with 503 upstream-unavailable until it is back.
    runtime.on_shutdown.append(order_service.close)
    app = create_app(runtime, routers=[api.router], version="1")
    install_accounts_problems(app)
    describe_problems_in_openapi(app)
    app.state.accounts = accounts
    app.state.order_service = order_service
    return app
