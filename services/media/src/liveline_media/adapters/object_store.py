"""Videos in S3-compatible storage (MinIO here), through the `minio` client only.

The client is synchronous, so every call runs in a worker thread; each has a connect and read
timeout and a bounded retry with backoff. Object keys are derived from ids by the caller, never
from a user's file name.

Uploads from phones are S3 multipart uploads whose parts the client PUTs straight to storage on
presigned URLs. minio-py has no public call for creating, listing and completing a multipart
upload by hand, so this module uses its `_create_multipart_upload`, `_list_parts`,
`_complete_multipart_upload` and `_abort_multipart_upload` (the S3 operations of the same names).
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

import urllib3
from minio import Minio
from minio.commonconfig import ENABLED, Filter
from minio.datatypes import Part
from minio.error import S3Error
from minio.lifecycleconfig import AbortIncompleteMultipartUpload, Expiration, LifecycleConfig, Rule

MIN_PART_SIZE = 5 * 1024 * 1024
_NOT_FOUND = frozenset({"NoSuchKey", "NoSuchUpload", "NoSuchObject"})


@dataclass(frozen=True)
class StoredPart:
    number: int
    etag: str
    size: int


class ObjectStore:
    def __init__(
        self, endpoint: str, access_key: str, secret_key: str, *, secure: bool, timeout_s: float,
        public_endpoint: str | None = None, region: str = "us-east-1",
    ) -> None:
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=min(timeout_s, 3.0), read=timeout_s),
            retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)),
            maxsize=10,
        )
        self._client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region, http_client=http)
        # Presigned URLs name the host the client reaches; signing needs no request (the region is given).
        self._signer = Minio(
            public_endpoint or endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region
        )

    async def ensure_bucket(self, bucket: str) -> None:
        def ensure() -> None:
            if not self._client.bucket_exists(bucket):
                self._client.make_bucket(bucket)

        await asyncio.to_thread(ensure)

    async def expire_objects(self, bucket: str, days: int) -> None:
        """The bucket deletes its objects, and multipart uploads never completed, after `days`."""
        rule = Rule(
            ENABLED, rule_filter=Filter(prefix=""), rule_id=f"expire-after-{days}-days",
            expiration=Expiration(days=days),
            abort_incomplete_multipart_upload=AbortIncompleteMultipartUpload(days_after_initiation=days),
        )
        await asyncio.to_thread(self._client.set_bucket_lifecycle, bucket, LifecycleConfig([rule]))

    async def lifecycle_days(self, bucket: str) -> int | None:
        config = await asyncio.to_thread(self._client.get_bucket_lifecycle, bucket)
        rules = config.rules if config else []
        return next((r.expiration.days for r in rules if r.expiration and r.expiration.days), None)

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

    async def size_of(self, bucket: str, key: str) -> int | None:
        """The object's size, or None when there is no such object."""
        try:
            stat = await asyncio.to_thread(self._client.stat_object, bucket, key)
        except S3Error as error:
            if error.code in _NOT_FOUND:
                return None
            raise
        return stat.size

    async def remove(self, bucket: str, key: str) -> None:
        await asyncio.to_thread(self._client.remove_object, bucket, key)

    async def presigned_get_url(self, bucket: str, key: str, expires: timedelta) -> str:
        return await asyncio.to_thread(self._signer.presigned_get_object, bucket, key, expires=expires)

    async def start_multipart(self, bucket: str, key: str, content_type: str) -> str:
        """A new multipart upload of `key`; its upload id."""
        return await asyncio.to_thread(self._client._create_multipart_upload, bucket, key, {"Content-Type": content_type})

    def presigned_part_url(self, bucket: str, key: str, upload_id: str, part_number: int, expires: timedelta) -> str:
        """Where the client PUTs part `part_number` (S3's UploadPart, signed; no request made here)."""
        return self._signer.get_presigned_url(
            "PUT", bucket, key, expires=expires,
            extra_query_params={"uploadId": upload_id, "partNumber": str(part_number)},
        )

    async def stored_parts(self, bucket: str, key: str, upload_id: str) -> list[StoredPart] | None:
        """The parts the storage holds for this upload, or None when the upload is gone (completed or aborted)."""

        def list_all() -> list[StoredPart]:
            parts: list[StoredPart] = []
            marker: str | None = None
            while True:
                page = self._client._list_parts(bucket, key, upload_id, part_number_marker=marker)
                parts.extend(StoredPart(p.part_number, p.etag, p.size or 0) for p in page.parts)
                if not page.is_truncated:
                    return parts
                marker = page.next_part_number_marker

        try:
            return await asyncio.to_thread(list_all)
        except S3Error as error:
            if error.code in _NOT_FOUND:
                return None
            raise

    async def complete_multipart(self, bucket: str, key: str, upload_id: str, parts: list[StoredPart]) -> None:
        ordered = [Part(p.number, p.etag) for p in sorted(parts, key=lambda p: p.number)]
        await asyncio.to_thread(self._client._complete_multipart_upload, bucket, key, upload_id, ordered)

    async def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None:
        try:
            await asyncio.to_thread(self._client._abort_multipart_upload, bucket, key, upload_id)
        except S3Error as error:
            if error.code not in _NOT_FOUND:
                raise
