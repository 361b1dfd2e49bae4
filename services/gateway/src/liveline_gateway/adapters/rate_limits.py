"""Fixed-window counters in the database, so every gateway replica counts the same attempts.

A counter is one document per (scope, key, window start), bumped with an upserting `$inc`.
The server has no TTL indexes, so each window carries `expires_at` and `purge_expired` deletes
old ones now and then.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pymongo
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from liveline_shared.clock import Clock

COLLECTION = "rate_limit_windows"


@dataclass(frozen=True)
class Limit:
    """At most `max_count` in each window of `window` length."""

    scope: str
    max_count: int
    window: timedelta


@dataclass(frozen=True)
class Count:
    count: int
    window_start: datetime
    retry_after_s: int  # seconds until this window ends

    def over(self, limit: Limit) -> bool:
        return self.count > limit.max_count


def window_start(moment: datetime, window: timedelta) -> datetime:
    length = window.total_seconds()
    return datetime.fromtimestamp(math.floor(moment.timestamp() / length) * length, UTC)


class RateLimits:
    def __init__(self, db: AsyncDatabase, clock: Clock, timeout_s: float) -> None:
        self._windows = db[COLLECTION]
        self._clock = clock
        self._timeout_s = timeout_s

    async def ensure_indexes(self) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._windows.create_index(
                [("scope", 1), ("key", 1), ("window_start", 1)], unique=True, name="scope_key_window"
            )

    async def add(self, limit: Limit, key: str) -> Count:
        """Counts one more in the current window of (limit.scope, key) and returns the new count."""
        now = self._clock.now()
        start = window_start(now, limit.window)
        end = start + limit.window
        window = {"scope": limit.scope, "key": key, "window_start": start}
        # Two replicas may insert the same new window at once; the unique index lets one win and
        # the other's retry then finds the document and increments it.
        for attempt in range(2):
            try:
                with pymongo.timeout(self._timeout_s):
                    document = await self._windows.find_one_and_update(
                        window,
                        {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": end}},
                        upsert=True,
                        return_document=ReturnDocument.AFTER,
                    )
                break
            except DuplicateKeyError:
                if attempt == 1:
                    raise
        retry_after_s = max(1, math.ceil((end - now).total_seconds()))
        return Count(count=document["count"], window_start=start, retry_after_s=retry_after_s)

    async def give_back(self, limit: Limit, key: str, counted: Count) -> None:
        """Takes one back from the window `counted` came from (even if a new window has begun since)."""
        with pymongo.timeout(self._timeout_s):
            await self._windows.update_one(
                {"scope": limit.scope, "key": key, "window_start": counted.window_start}, {"$inc": {"count": -1}}
            )

    async def purge_expired(self) -> int:
        with pymongo.timeout(self._timeout_s):
            result = await self._windows.delete_many({"expires_at": {"$lte": self._clock.now()}})
        return result.deleted_count
