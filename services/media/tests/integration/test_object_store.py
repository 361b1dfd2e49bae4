"""The media service's object store against real MinIO."""

from __future__ import annotations

import io
import os
import uuid
from datetime import timedelta

import httpx
import pytest

from liveline_media.adapters.object_store import MIN_PART_SIZE, ObjectStore


@pytest.fixture
async def store_and_bucket(stack_endpoints):
    store = ObjectStore(
        stack_endpoints.minio_endpoint, stack_endpoints.minio_access_key, stack_endpoints.minio_secret_key,
        secure=False, timeout_s=10,
    )
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    await store.ensure_bucket(bucket)
    return store, bucket


async def test_put_object_comes_back_byte_for_byte(store_and_bucket):
    store, bucket = store_and_bucket
    data = os.urandom(4096)
    await store.put_bytes(bucket, "videos/v1/raw", data, "video/mp4")
    assert await store.get_bytes(bucket, "videos/v1/raw") == data


async def test_presigned_url_serves_the_object_without_credentials(store_and_bucket):
    store, bucket = store_and_bucket
    await store.put_bytes(bucket, "videos/v2/edited", b"clip-bytes", "video/mp4")
    url = await store.presigned_get_url(bucket, "videos/v2/edited", timedelta(minutes=5))
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(url)
        assert response.status_code == 200
        assert response.content == b"clip-bytes"
        tampered = await client.get(url.replace("videos/v2/edited", "videos/v3/edited"))
        assert tampered.status_code == 403


async def test_large_upload_goes_up_in_parts_and_comes_back_whole(store_and_bucket):
    store, bucket = store_and_bucket
    data = os.urandom(2 * MIN_PART_SIZE + 12345)
    etag = await store.put_stream(bucket, "videos/v4/raw", io.BytesIO(data), "video/mp4")
    # S3 marks a multipart object's ETag with the number of parts.
    assert etag.endswith("-3")
    assert await store.get_bytes(bucket, "videos/v4/raw") == data
