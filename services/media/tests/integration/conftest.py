"""A real media service (API and worker in one process) and a real order service (for the
merchant's name and time zone), on the session's Kafka, FerretDB and MinIO; and the media
service's handlers in this process, for a test that watches what they do."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from liveline_devstack.pytest_plugin import TEST_STATE, database
from liveline_devstack.services import ServiceProcess
from liveline_media import handlers
from liveline_media.adapters.ffmpeg import Ffmpeg
from liveline_media.adapters.object_store import ObjectStore
from liveline_media.bootstrap import build_dependencies
from liveline_media.config import Settings
from services.media.tests.integration.support import INTERNAL_TOKEN, MERCHANT_NAME, PART_SIZE, World, admin, headers
from tests.random_refs import database_name, suffix

# Small limits, so the "too long" and "too large" cases need only small files.
MAX_UPLOAD_BYTES = 30 * 1024 * 1024
MAX_RAW_DURATION_S = 200


@pytest.fixture(scope="session")
def order_service(stack_endpoints) -> Iterator[ServiceProcess]:
    process = ServiceProcess(
        "order", stack_endpoints, TEST_STATE / "media-tests", environment="test",
        extra_env={
            "LIVELINE_ORDER_MONGO_DATABASE": database_name("order_for_media"),
            "LIVELINE_ORDER_INTERNAL_TOKEN": INTERNAL_TOKEN,
            "LIVELINE_ORDER_LOG_LEVEL": "warning",
        },
    )
    with process.running():
        yield process


@pytest.fixture(scope="session")
def media_env(order_service) -> dict[str, str]:
    """The settings of this session's media processes: their own database, buckets and consumer groups."""
    return {
        "LIVELINE_MEDIA_MONGO_DATABASE": database_name("media"),
        "LIVELINE_MEDIA_INTERNAL_TOKEN": INTERNAL_TOKEN,
        "LIVELINE_MEDIA_ORDER_URL": order_service.url,
        "LIVELINE_MEDIA_RAW_BUCKET": f"test-raw-{suffix()}",
        "LIVELINE_MEDIA_EDITED_BUCKET": f"test-edited-{suffix()}",
        "LIVELINE_MEDIA_RAW_RETENTION_DAYS": "3",
        "LIVELINE_MEDIA_CONSUMER_GROUP_PREFIX": f"test-media-{suffix()}-",
        "LIVELINE_MEDIA_UPLOAD_PART_SIZE": str(PART_SIZE),
        "LIVELINE_MEDIA_MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
        "LIVELINE_MEDIA_MAX_RAW_DURATION_S": str(MAX_RAW_DURATION_S),
        "LIVELINE_MEDIA_X264_PRESET": "ultrafast",
        "LIVELINE_MEDIA_FFMPEG_THREADS": "1",
        "LIVELINE_MEDIA_LOG_LEVEL": "info",
    }


@pytest.fixture(scope="session")
def media_service(stack_endpoints, media_env) -> Iterator[ServiceProcess]:
    process = ServiceProcess("media", stack_endpoints, TEST_STATE / "media-tests", environment="test", extra_env=media_env)
    with process.running():
        yield process


@pytest.fixture
async def client(media_service) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=media_service.url, timeout=60) as http:
        yield http


@pytest.fixture(scope="session")
def merchant_id(order_service) -> str:
    body = {"name": MERCHANT_NAME, "address": "1 Nanjing Rd", "timezone": "Asia/Shanghai", "contact": "+862161234567"}
    response = httpx.post(f"{order_service.url}/merchants", json=body, headers=headers(admin()), timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["merchant_id"]


@pytest.fixture
def kafka(stack_endpoints) -> str:
    return stack_endpoints.kafka_bootstrap_servers


@pytest.fixture
def world(kafka, merchant_id) -> World:
    """A deal of its own at the session's merchant, so lists show only this test's videos."""
    return World(kafka, merchant_id)


@pytest.fixture(scope="session")
def tools() -> Ffmpeg:
    return Ffmpeg(threads=1, timeout_s=120)


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture
def store(stack_endpoints) -> ObjectStore:
    return ObjectStore(
        stack_endpoints.minio_endpoint, stack_endpoints.minio_access_key, stack_endpoints.minio_secret_key,
        secure=False, timeout_s=10,
    )


@pytest.fixture
async def handlers_db(stack_endpoints) -> AsyncIterator[AsyncDatabase]:
    """The database of the in-process handlers (`deps`), one per test."""
    async with database(stack_endpoints, database_name("media_handlers")) as db:
        yield db


@pytest.fixture
async def deps(stack_endpoints, order_service, handlers_db) -> AsyncIterator[handlers.Dependencies]:
    """The media service's handlers in this process, on their own database and buckets."""
    settings = Settings(
        minio_endpoint=stack_endpoints.minio_endpoint, minio_access_key=stack_endpoints.minio_access_key,
        minio_secret_key=stack_endpoints.minio_secret_key, raw_bucket=f"test-raw-{suffix()}",
        edited_bucket=f"test-edited-{suffix()}", order_url=order_service.url, internal_token=INTERNAL_TOKEN,
        x264_preset="ultrafast", ffmpeg_threads=1,
    )
    dependencies = build_dependencies(settings, handlers_db)
    await dependencies.store.ensure_bucket(settings.raw_bucket)
    await dependencies.store.ensure_bucket(settings.edited_bucket)
    try:
        yield dependencies
    finally:
        await dependencies.merchants.close()
