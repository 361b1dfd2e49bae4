"""Videos in S3-compatible storage (MinIO here), through the `minio` client only.

The client is synchronous, so every call runs in a worker thread; each has a connect and read
timeout and a bounded retry with backoff. Object keys are derived from ids by the caller, never
from a user's file name.
"""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

import urllib3
from minio import Minio

MIN_PART_SIZE = 5 * 1024 * 1024


class ObjectStore:
    def __init__(self, endpoint: str, access_key: str, secret_key: str, *, secure: bool, timeout_s: float) -> None:
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=min(timeout_s, 3.0), read=timeout_s),
            retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)),
            maxsize=10,
        )
        self._client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, http_client=http)

    async def ensure_bucket(self, bucket: str) -> None:
        def ensure() -> None:
            if not self._client.bucket_exists(bucket):
                self._client.make_bucket(bucket)

        await asyncio.to_thread(ensure)

    async def check(self, bucket: str) -> None:
        """Raises unless the server answers and the bucket exists (the readiness check)."""
        if not await asyncio.to_thread(self._client.bucket_exists, bucket):
            raise LookupError(f"bucket {bucket} does not exist")

    async def put_bytes(self, bucket: str, key: str, data: bytes, content_type: str) -> str:
        result = await asyncio.to_thread(
            self._client.put_object, bucket, key, io.BytesIO(data), len(data), content_type=content_type
        )
        return result.etag

    async def put_stream(
        self, bucket: str, key: str, stream: BinaryIO, content_type: str, *, part_size: int = MIN_PART_SIZE
    ) -> str:
        """Uploads a stream of unknown length as a multipart upload of `part_size` parts."""
        result = await asyncio.to_thread(
            self._client.put_object, bucket, key, stream, -1, content_type=content_type, part_size=part_size
        )
        return result.etag

    async def put_file(self, bucket: str, key: str, path: Path, content_type: str) -> str:
        result = await asyncio.to_thread(self._client.fput_object, bucket, key, str(path), content_type=content_type)
        return result.etag

    async def get_bytes(self, bucket: str, key: str) -> bytes:
        def get() -> bytes:
            response = self._client.get_object(bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        return await asyncio.to_thread(get)

    async def download(self, bucket: str, key: str, path: Path) -> None:
        await asyncio.to_thread(self._client.fget_object, bucket, key, str(path))

    async def presigned_get_url(self, bucket: str, key: str, expires: timedelta) -> str:
        return await asyncio.to_thread(self._client.presigned_get_object, bucket, key, expires=expires)
