"""A service process built like every liveline service (ServiceRuntime, create_app, uvicorn via
`liveline_shared.service.main`), whose one consumer takes LIVELINE_DRAINTEST_WORK_S seconds
per event, for the graceful-shutdown tests:

    LIVELINE_DRAINTEST_... python tests/deploy/drain_process.py

Its handler logs `work_started` and `work_finished` with the event's id and counts each run in
the `work` collection (`runs` per event id).
"""

from __future__ import annotations

import asyncio

import structlog
from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from liveline_shared.consumer import register_consumer
from liveline_shared.events import Event
from liveline_shared.events.topics import DAY_MS, Topic
from liveline_shared.service import ServiceRuntime, create_app, main
from liveline_shared.settings import ServiceSettings

log = structlog.get_logger("drain_test")


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="LIVELINE_DRAINTEST_")

    topic: str
    consumer: str
    work_s: float = 1.0


def build_app(settings: Settings) -> FastAPI:
    runtime = ServiceRuntime.for_service("drain-test", settings)
    topic = Topic(name=settings.topic, key="order_id", producer="test", retention_ms=DAY_MS, description="test")

    async def work(event: Event) -> None:
        log.info("work_started", work_event=str(event.event_id))
        await asyncio.sleep(settings.work_s)  # the work itself (a transcode, a fan-out)
        await runtime.db.work.update_one({"_id": str(event.event_id)}, {"$inc": {"runs": 1}}, upsert=True)
        log.info("work_finished", work_event=str(event.event_id))

    register_consumer(runtime.broker, name=settings.consumer, topic=topic, db=runtime.db, handler=work,
                      handler_timeout_s=600)
    return create_app(runtime)


if __name__ == "__main__":
    main("drain-test", Settings(), build_app)  # type: ignore[call-arg]
