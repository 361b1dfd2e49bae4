"""The only place where the media service builds its clients and wires them together."""

from __future__ import annotations

from fastapi import FastAPI

from liveline_shared.service import ServiceRuntime, create_app

from .api import build_router
from .adapters.object_store import ObjectStore
from .config import Settings


def build_object_store(settings: Settings) -> ObjectStore:
    return ObjectStore(
        settings.minio_endpoint,
        settings.minio_access_key,
        settings.minio_secret_key.get_secret_value(),
        secure=settings.minio_secure,
        timeout_s=settings.minio_timeout_s,
    )


def build_app(settings: Settings) -> FastAPI:
    store = build_object_store(settings)

    async def check_minio() -> None:
        # Creating the buckets here, not at start, lets media start before MinIO does.
        for bucket in (settings.raw_bucket, settings.edited_bucket):
            await store.ensure_bucket(bucket)

    runtime = ServiceRuntime.for_service("media", settings, extra_checks={"minio": check_minio})
    return create_app(runtime, routers=[build_router(settings.internal_token.get_secret_value())])
