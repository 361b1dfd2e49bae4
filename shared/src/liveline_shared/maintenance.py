"""A service's background upkeep: create its indexes, then run one periodic job.

The indexes are created in the background, retrying with capped backoff until the database
answers, so a service starts without its database and reports not-ready (its `mongo` check)
until they exist. The periodic job (a recovery sweep, a purge) runs every `interval_s` after that;
a failed round is logged and the next round tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from .backoff import Backoff, retry_forever

log = structlog.get_logger(__name__)


class Maintenance:
    def __init__(
        self,
        name: str,
        *,
        ensure_indexes: Callable[[], Awaitable[None]],
        job: Callable[[], Awaitable[object]],
        interval_s: float,
    ) -> None:
        self.name = name
        self._ensure_indexes = ensure_indexes
        self._job = job
        self._interval_s = interval_s
        self._indexes_ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{self.name}-maintenance")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def check_indexes(self) -> None:
        """The readiness part: raises until the indexes exist."""
        if not self._indexes_ready.is_set():
            raise RuntimeError(f"the {self.name} indexes are not created yet")

    async def _run(self) -> None:
        def failed(attempt: int, error: Exception, retry_in_s: float) -> None:
            log.warning("indexes_failed", service=self.name, attempt=attempt, error=str(error), retry_in_s=retry_in_s)

        await retry_forever(self._ensure_indexes, Backoff(first_s=0.2, max_s=5.0), failed)
        self._indexes_ready.set()
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                outcome = await self._job()
                if outcome:
                    log.info("maintenance_job_done", service=self.name, outcome=outcome)
            except Exception as error:  # noqa: BLE001 - the next round tries again
                log.warning("maintenance_job_failed", service=self.name, error=str(error))
