"""The only place where the gateway service builds its clients and wires them together."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from liveline_shared.clock import Clock, SystemClock
from liveline_shared.service import ServiceRuntime, create_app

from . import api
from .adapters.accounts_repository import AccountsRepository
from .adapters.merchants import MerchantDirectory, OrderServiceMerchants
from .adapters.notification_feed import NotificationFeed
from .adapters.upstream import UpstreamClient
from .adapters.passwords import Passwords
from .adapters.rate_limits import Limit, RateLimits
from .adapters.tokens import AccessTokens, RefreshTokens
from .api.openapi import customize_openapi
from .api.problems import install_gateway_problems
from .config import Settings
from .handlers.accounts import Accounts, AttemptLimits
from .web import install_web


def build_accounts(
    settings: Settings, db: AsyncDatabase, merchants: MerchantDirectory, clock: Clock | None = None
) -> Accounts:
    clock = clock or SystemClock()
    timeout_s = settings.mongo_timeout_s
    return Accounts(
        repository=AccountsRepository(db, timeout_s),
        passwords=Passwords(
            workers=settings.password_hashing_workers,
            max_waiting=settings.password_hashing_queue,
            max_wait_s=settings.password_hashing_max_wait_s,
        ),
        access_tokens=AccessTokens(
            settings.signing_key.get_secret_value(), timedelta(seconds=settings.access_token_ttl_s), clock
        ),
        refresh_tokens=RefreshTokens(db, timedelta(seconds=settings.refresh_token_ttl_s), clock, timeout_s),
        rate_limits=RateLimits(db, clock, timeout_s),
        limits=AttemptLimits(
            login_failures_per_account=Limit(
                "login-failures-per-account",
                settings.login_failures_per_account,
                timedelta(seconds=settings.login_failure_window_s),
            ),
            login_attempts_per_address=Limit(
                "login-attempts-per-address",
                settings.login_attempts_per_address,
                timedelta(seconds=settings.login_address_window_s),
            ),
            registrations_per_address=Limit(
                "registrations-per-address",
                settings.registrations_per_address,
                timedelta(seconds=settings.registration_window_s),
            ),
        ),
        merchants=merchants,
        clock=clock,
    )


async def ensure_indexes(accounts: Accounts) -> None:
    await accounts.repository.ensure_indexes()
    await accounts.refresh_tokens.ensure_indexes()
    await accounts.rate_limits.ensure_indexes()


async def purge_expired(accounts: Accounts) -> dict[str, int]:
    """The gateway's periodic upkeep: old rate-limit windows and expired refresh tokens go."""
    purged = await accounts.refresh_tokens.purge_expired()
    purged["rate_limit_windows"] = await accounts.rate_limits.purge_expired()
    # Only what was purged, so a quiet round logs nothing.
    return {what: count for what, count in purged.items() if count}


def build_upstreams(settings: Settings) -> dict[str, UpstreamClient]:
    """A client per internal service the gateway relays to, by service name."""
    token = settings.internal_token.get_secret_value()
    upstreams = {
        "order": UpstreamClient(
            "order", settings.order_url, token, timeout_s=settings.order_timeout_s,
            connect_timeout_s=settings.order_connect_timeout_s, attempts=settings.order_attempts,
            max_in_flight=settings.order_max_in_flight,
        ),
    }
    others = {"slots": settings.slots_url, "queue-notifier": settings.queue_notifier_url, "media": settings.media_url}
    for service, url in others.items():
        upstreams[service] = UpstreamClient(
            service, url, token, timeout_s=settings.upstream_timeout_s,
            connect_timeout_s=settings.upstream_connect_timeout_s, attempts=settings.upstream_attempts,
        )
    return upstreams


def build_app(settings: Settings) -> FastAPI:
    runtime = ServiceRuntime.for_service("gateway", settings)
    upstreams = build_upstreams(settings)
    accounts = build_accounts(settings, runtime.db, OrderServiceMerchants(upstreams["order"]))
    # What expires is purged in the background (the server has no TTL indexes); the indexes
    # gate readiness.
    runtime.use_maintenance(
        ensure_indexes=lambda: ensure_indexes(accounts),
        job=lambda: purge_expired(accounts),
        interval_s=settings.purge_interval_s,
    )
    # Not a readiness check: a gateway whose order service (or any other) is down still serves
    # accounts and answers that service's routes with 503 upstream-unavailable until it is back.
    for upstream in upstreams.values():
        runtime.on_shutdown.append(upstream.close)

    async def stop_hashing() -> None:
        accounts.passwords.close()

    runtime.on_shutdown.append(stop_hashing)
    feed = NotificationFeed(settings.kafka_bootstrap_servers, "liveline-gateway-notification-feed")
    runtime.on_startup.append(feed.start)
    runtime.on_shutdown.append(feed.stop)
    # /docs is the offline one of install_web; no /redoc (it would load from a CDN).
    app = create_app(runtime, routers=[api.router], version="1", docs_url=None, redoc_url=None)
    install_gateway_problems(app)
    customize_openapi(app)
    install_web(app)
    app.state.accounts = accounts
    app.state.upstreams = upstreams
    app.state.offer_wait_s = settings.offer_wait_s
    app.state.notification_feed = feed
    app.state.stream_ping_s = settings.stream_ping_s
    app.state.stream_ready_wait_s = settings.stream_ready_wait_s
    return app
