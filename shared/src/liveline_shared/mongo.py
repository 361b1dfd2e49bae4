"""MongoDB through PyMongo's async API (`AsyncMongoClient`, the successor of motor)."""

from __future__ import annotations

from pymongo import AsyncMongoClient

from .settings import ServiceSettings


def make_mongo_client(settings: ServiceSettings, app_name: str) -> AsyncMongoClient:
    timeout_ms = int(settings.mongo_timeout_s * 1000)
    return AsyncMongoClient(
        settings.mongo_url,
        appname=app_name,
        tz_aware=True,
        connect=False,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=timeout_ms * 2,
        retryWrites=False,  # FerretDB 1.x has no retryable writes; our writes are idempotent instead.
    )
