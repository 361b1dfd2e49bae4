"""The only place where the queue-notifier builds its clients and wires them together."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from liveline_shared.clock import Clock, SystemClock
from liveline_shared.maintenance import Maintenance
from liveline_shared.merchant_directory import OrderServiceMerchants
from liveline_shared.service import ServiceRuntime, create_app

from . import consumers, handlers
from .adapters.busyness import BusynessRepository
from .adapters.inbox import InboxRepository
from .adapters.orders import OrderServiceOrders
from .adapters.publisher import NotificationPublisher
from .adapters.queues import COLLECTION as LIVE_QUEUES
from .adapters.queues import QueuesRepository
from .adapters.schedules import ORDERS as PUSH_ORDERS
from .adapters.schedules import SchedulesRepository
from .adapters.webpush import PushSubscriptionsRepository, WebPushSender
from .adapters.zones import ZonesRepository
from .api import build_router
from .api.problems import install_queue_problems
from .config import Settings
from .handlers.webpush import WebPush


def build_web_push(settings: Settings, db: AsyncDatabase) -> WebPush:
    """Subscriptions always; a sender only with a VAPID key (a key that does not parse stops the start)."""
    key = settings.vapid_private_key
    sender = None if key is None or not key.get_secret_value().strip() else WebPushSender(
        key.get_secret_value(), settings.vapid_subject, settings.web_push_timeout_s)
    return WebPush(subscriptions=PushSubscriptionsRepository(db, settings.mongo_timeout_s), sender=sender,
                   production=settings.environment == "production",
                   queue_ttl=timedelta(seconds=settings.web_push_queue_ttl_s))


def build_dependencies(settings: Settings, db: AsyncDatabase, merchants: handlers.dependencies.MerchantDirectory,
                       publisher: handlers.dependencies.Publisher, clock: Clock | None = None,
                       orders: handlers.dependencies.OrderDirectory | None = None) -> handlers.Dependencies:
    timeout_s = settings.mongo_timeout_s
    return handlers.Dependencies(
        queues=QueuesRepository(db, timeout_s),
        busyness=BusynessRepository(db, timeout_s),
        zones=ZonesRepository(db, timeout_s),
        merchants=merchants,
        orders=orders,
        schedules=SchedulesRepository(db, timeout_s),
        inbox=InboxRepository(db, timeout_s),
        publisher=publisher,
        clock=clock or SystemClock(),
        heartbeat_every=timedelta(seconds=settings.heartbeat_interval_s),
        stale_after=timedelta(seconds=settings.stale_after_s),
        scheduler_id=f"queue-notifier-{uuid.uuid4().hex[:12]}",
        bucket_lease=timedelta(seconds=settings.bucket_lease_s),
        batch_lease=timedelta(seconds=settings.bucket_lease_s),
        late_after=timedelta(seconds=settings.late_after_s),
        missed_grace=timedelta(seconds=settings.missed_grace_s),
        web_push=build_web_push(settings, db),
    )


async def ensure_indexes() -> None:
    # Every read and write is by `_id`; the heartbeat reads only `active_queues`, the merchants
    # with parties waiting; the scheduler reads due-moment buckets by minute.
    return None


def build_app(settings: Settings) -> FastAPI:
    runtime = ServiceRuntime.for_service("queue-notifier", settings)
    merchants = OrderServiceMerchants(settings.order_url, settings.internal_token.get_secret_value(), settings.order_timeout_s)
    runtime.on_shutdown.append(merchants.close)
    orders = OrderServiceOrders(settings.order_url, settings.internal_token.get_secret_value(), settings.order_timeout_s)
    runtime.on_shutdown.append(orders.close)
    publisher = NotificationPublisher(settings.kafka_bootstrap_servers, "liveline-queue-notifier-notifications",
                                      settings.kafka_request_timeout_s)
    runtime.on_shutdown.append(publisher.close)
    deps = build_dependencies(settings, runtime.db, merchants, publisher, clock=runtime.clock, orders=orders)
    if deps.web_push is not None and isinstance(deps.web_push.sender, WebPushSender):
        runtime.on_shutdown.append(deps.web_push.sender.close)
    relay = runtime.use_outbox([LIVE_QUEUES, PUSH_ORDERS])
    deps.notify, deps.write_lease = relay.notify, relay.write_lease
    consumers.register(runtime.broker, runtime.db, deps, group_prefix=settings.consumer_group_prefix)
    runtime.use_maintenance(ensure_indexes=ensure_indexes, job=lambda: handlers.heartbeat(deps),
                            interval_s=settings.heartbeat_check_s)
    scheduler = Maintenance("queue-notifier-scheduler", ensure_indexes=ensure_indexes,
                            job=lambda: handlers.run_due(deps), interval_s=settings.scheduler_tick_s)
    runtime.on_startup.append(scheduler.start)
    runtime.on_shutdown.append(scheduler.stop)
    app = create_app(runtime, routers=[build_router(settings.internal_token.get_secret_value())], version="1")
    install_queue_problems(app)
    app.state.dependencies = deps
    return app
