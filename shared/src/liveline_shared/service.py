"""What every service process is made of: a FastStream Kafka broker, its own database and a
small FastAPI app (health, readiness, metrics and the service's routes) served by uvicorn.

A service's `bootstrap.py` builds a `ServiceRuntime`; `create_app` turns it into the ASGI app;
`serve` runs it. The broker connects in the background with bounded backoff, so a service whose
Kafka is briefly away still starts and reports not-ready instead of crashing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

import structlog
import uvicorn
from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from .backoff import Backoff, retry_forever
from .clock import Clock, SystemClock
from .drain import drain_consumers
from .health import Check, Readiness, ops_router
from .http_metrics import HttpMetrics
from .kafka import ensure_topics
from .maintenance import Maintenance
from .problems import BodySizeLimit, install_problem_handlers
from .relay import OutboxRelay
from .settings import ServiceSettings

log = structlog.get_logger(__name__)

Hook = Callable[[], Awaitable[None]]


class BrokerNotConnected(RuntimeError):
    pass


@dataclass
class ServiceRuntime:
    name: str
    settings: ServiceSettings
    broker: KafkaBroker
    mongo: AsyncMongoClient
    extra_checks: Mapping[str, Check] = field(default_factory=dict)
    on_startup: list[Hook] = field(default_factory=list)
    on_shutdown: list[Hook] = field(default_factory=list)
    clock: Clock = field(default_factory=SystemClock)
    relay: OutboxRelay | None = None
    maintenance: Maintenance | None = None
    broker_connected: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def for_service(cls, name: str, settings: ServiceSettings, **extra: object) -> ServiceRuntime:
        """The usual runtime: the service's broker and database client built from its settings."""
        from .kafka import make_broker
        from .mongo import make_mongo_client

        return cls(
            name=name,
            settings=settings,
            broker=make_broker(settings, name),
            mongo=make_mongo_client(settings, f"liveline-{name}"),
            **extra,  # type: ignore[arg-type]
        )

    @property
    def db(self) -> AsyncDatabase:
        return self.mongo[self.settings.mongo_database]

    def use_outbox(self, collections: Iterable[str]) -> OutboxRelay:
        """Runs an outbox relay over these collections for the life of the service.

        Handlers write events into their aggregate's document (liveline_shared.outbox), taking
        `relay.write_lease()` in that write, and call `relay.notify(collection, id, lease)` after
        it so the events leave at once, without a claim.
        """
        self.relay = OutboxRelay(self.db, collections, self.settings.kafka_bootstrap_servers, clock=self.clock)
        self.on_startup.append(self.relay.start)
        self.on_shutdown.append(self.relay.stop)
        return self.relay

    def use_maintenance(
        self, *, ensure_indexes: Callable[[], Awaitable[None]], job: Callable[[], Awaitable[object]], interval_s: float
    ) -> Maintenance:
        """Creates the service's indexes in the background (readiness waits for them), then runs
        `job` every `interval_s` for the life of the service (see maintenance.py)."""
        self.maintenance = Maintenance(self.name, ensure_indexes=ensure_indexes, job=job, interval_s=interval_s)
        self.on_startup.append(self.maintenance.start)
        self.on_shutdown.append(self.maintenance.stop)
        return self.maintenance

    async def check_kafka(self) -> None:
        if not self.broker_connected.is_set():
            raise BrokerNotConnected("the broker has not connected yet")
        if not await self.broker.ping(timeout=self.settings.readiness_timeout_s):
            raise ConnectionError(f"no answer from {self.settings.kafka_bootstrap_servers}")

    async def check_mongo(self) -> None:
        """The database answers and, where the service has a Maintenance, its indexes exist."""
        await self.db.command("ping")
        if self.maintenance is not None:
            await self.maintenance.check_indexes()

    def readiness(self) -> Readiness:
        checks: dict[str, Check] = {"kafka": self.check_kafka, "mongo": self.check_mongo}
        checks.update(self.extra_checks)
        return Readiness(checks, timeout_s=self.settings.readiness_timeout_s)

    async def connect_broker(self, backoff: Backoff = Backoff(first_s=0.2, max_s=5.0)) -> None:
        """Create missing topics and start the broker, retrying with capped backoff until it connects."""

        async def connect() -> None:
            await ensure_topics(
                self.settings.kafka_bootstrap_servers,
                partitions=self.settings.kafka_partitions,
                replication_factor=self.settings.kafka_replication_factor,
            )
            await self.broker.start()

        async def failed(attempt: int, error: Exception, retry_in_s: float) -> None:
            log.warning("kafka_connect_failed", attempt=attempt, error=str(error), retry_in_s=retry_in_s)
            with contextlib.suppress(Exception):
                await self.broker.stop()

        attempts = await retry_forever(connect, backoff, failed)
        self.broker_connected.set()
        log.info("kafka_connected", attempt=attempts)


def create_app(runtime: ServiceRuntime, routers: Iterable[APIRouter] = (), **fastapi_kwargs: object) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        connecting = asyncio.create_task(runtime.connect_broker(), name="kafka-connect")
        for hook in runtime.on_startup:
            await hook()
        log.info("service_started", port=runtime.settings.http_port)
        try:
            yield
        finally:
            # SIGTERM: uvicorn has stopped taking requests; the consumers stop taking messages,
            # finish or hand back the ones in hand and commit, while the relay still publishes
            # what their handlers wrote.
            await drain_consumers(runtime.broker, timeout_s=runtime.settings.shutdown_drain_s)
            for hook in reversed(runtime.on_shutdown):
                await hook()
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connecting
            await runtime.broker.stop()
            await runtime.mongo.close()
            log.info("service_stopped")

    app = FastAPI(title=f"liveline {runtime.name}", lifespan=lifespan, **fastapi_kwargs)  # type: ignore[arg-type]
    # What the AsyncAPI document is generated from (liveline_devstack.asyncapi).
    app.state.runtime = runtime
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=runtime.settings.max_request_body_bytes)
    app.add_middleware(HttpMetrics)
    app.include_router(ops_router(runtime.name, runtime.readiness()))
    for router in routers:
        app.include_router(router)
    return app


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
        # Longer than clients keep an idle connection (httpx: 5 s, aiohttp: 15 s), so a client never
        # sends on a connection the server is closing that instant (a reset the client cannot tell
        # from a crash).
        timeout_keep_alive=75,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    uvicorn.Server(config).run()


def main(service: str, settings: ServiceSettings, build_app: Callable[[ServiceSettings], FastAPI]) -> None:
    """The body of every `python -m liveline_<svc>`: log setup, then the app until SIGTERM."""
    from .logging import configure_logging

    configure_logging(service, level=settings.log_level, json=settings.log_json)
    serve(build_app(settings), settings)
