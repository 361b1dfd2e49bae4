"""The only place where the media service builds its clients and wires them together.

Two kinds of process share this wiring: the API (`python -m liveline_media`), which takes
uploads and serves lists, and the worker (`python -m liveline_media worker`), which edits
uploaded videos. With `RUN_WORKER=true` (the default, as in `make run`) the API process edits too.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from liveline_shared.clock import Clock, SystemClock
from liveline_shared.service import ServiceRuntime, create_app

from . import consumers, handlers
from .adapters.faces import DetectorSettings, FaceBlur
from .adapters.ffmpeg import Ffmpeg
from .adapters.grants import GrantsRepository
from .adapters.merchants import OrderServiceMerchants
from .adapters.object_store import ObjectStore
from .adapters.videos import COLLECTION as VIDEOS
from .adapters.videos import VideosRepository
from .api import build_router
from .api.problems import install_media_problems
from .config import Settings
from .domain.videos import Limits


def build_object_store(settings: Settings) -> ObjectStore:
    return ObjectStore(
        settings.minio_endpoint,
        settings.minio_access_key,
        settings.minio_secret_key.get_secret_value(),
        secure=settings.minio_secure,
        timeout_s=settings.minio_timeout_s,
        public_endpoint=settings.minio_public_endpoint,
        region=settings.minio_region,
    )


def build_dependencies(settings: Settings, db: AsyncDatabase, clock: Clock | None = None) -> handlers.Dependencies:
    timeout_s = settings.mongo_timeout_s
    return handlers.Dependencies(
        grants=GrantsRepository(db, timeout_s),
        videos=VideosRepository(db, timeout_s),
        store=build_object_store(settings),
        merchants=OrderServiceMerchants(
            settings.order_url, settings.internal_token.get_secret_value(), timeout_s=settings.order_timeout_s
        ),
        ffmpeg=Ffmpeg(threads=settings.ffmpeg_threads, timeout_s=settings.ffmpeg_timeout_s),
        faces=FaceBlur(
            DetectorSettings(detect_long_side=settings.face_detect_long_side, min_confidence=settings.face_min_confidence),
            library=settings.face_detector_library, interval_s=settings.face_sample_interval_s,
        ),
        clock=clock or SystemClock(),
        raw_bucket=settings.raw_bucket,
        edited_bucket=settings.edited_bucket,
        limits=Limits(
            max_upload_bytes=settings.max_upload_bytes,
            max_raw_duration_s=settings.max_raw_duration_s,
            max_published_duration_s=settings.max_published_duration_s,
        ),
        part_size=settings.upload_part_size,
        upload_url_ttl=timedelta(seconds=settings.upload_url_ttl_s),
        playback_url_ttl=timedelta(seconds=settings.playback_url_ttl_s),
        edit_attempts=settings.edit_attempts,
        x264_preset=settings.x264_preset,
        overlay_font=settings.overlay_font,
        scratch_dir=settings.scratch_dir or Path(tempfile.gettempdir()) / "liveline-media",
    )


async def check_editing_tools(settings: Settings) -> None:
    """A worker without ffmpeg or the overlay's font would reject every video: not ready instead.

    Checked by the worker process (`python -m liveline_media worker`), whose readiness gates it
    in a deployment; the API process reports its own dependencies only.
    """
    for tool in ("ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            raise FileNotFoundError(f"{tool} is not installed")
    if not settings.overlay_font.is_file():
        raise FileNotFoundError(f"the overlay font {settings.overlay_font} is missing (Debian: fonts-wqy-zenhei)")


def _runtime(settings: Settings, *, editing: bool) -> tuple[ServiceRuntime, handlers.Dependencies]:
    prepared = False

    async def check_minio() -> None:
        # Creating the buckets here, not at start, lets media start before MinIO does.
        nonlocal prepared
        if not prepared:
            await deps.store.ensure_bucket(settings.raw_bucket)
            await deps.store.ensure_bucket(settings.edited_bucket)
            await deps.store.expire_objects(settings.raw_bucket, settings.raw_retention_days)
            prepared = True
        await deps.store.check(settings.edited_bucket)

    checks = {"minio": check_minio}
    if editing:
        checks["ffmpeg"] = lambda: check_editing_tools(settings)
    runtime = ServiceRuntime.for_service("media", settings, extra_checks=checks)
    deps = build_dependencies(settings, runtime.db, clock=runtime.clock)
    relay = runtime.use_outbox([VIDEOS])
    deps.notify, deps.write_lease = relay.notify, relay.write_lease
    runtime.use_maintenance(ensure_indexes=deps.videos.ensure_indexes, job=_nothing, interval_s=3600)
    runtime.on_shutdown.append(deps.merchants.close)
    return runtime, deps


async def _nothing() -> None:
    return None


def _add_worker(runtime: ServiceRuntime, settings: Settings, deps: handlers.Dependencies) -> None:
    deps.scratch_dir.mkdir(parents=True, exist_ok=True)
    consumers.register_editing(
        runtime.broker, runtime.db, deps, group_prefix=settings.consumer_group_prefix,
        edit_timeout_s=settings.ffmpeg_timeout_s + 60,
    )


def build_app(settings: Settings) -> FastAPI:
    runtime, deps = _runtime(settings, editing=False)
    consumers.register_orders(runtime.broker, runtime.db, deps, group_prefix=settings.consumer_group_prefix)
    if settings.run_worker:
        _add_worker(runtime, settings, deps)
    app = create_app(runtime, routers=[build_router(settings.internal_token.get_secret_value())], version="1")
    install_media_problems(app)
    app.state.dependencies = deps
    app.state.default_page_limit = settings.default_page_limit
    return app


def worker_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"http_port": settings.worker_http_port})


def build_worker_app(settings: Settings) -> FastAPI:
    """Only the editing consumer, and health, readiness and metrics on WORKER_HTTP_PORT."""
    runtime, deps = _runtime(settings, editing=True)
    _add_worker(runtime, settings, deps)
    return create_app(runtime)
