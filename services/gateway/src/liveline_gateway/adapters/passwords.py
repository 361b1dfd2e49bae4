"""Password hashing with Argon2id, a bounded number of attempts at a time, on threads of its own.

A hash costs tens of milliseconds of CPU and 64 MiB of memory on purpose. Without a bound, a
flood of registrations or logins runs as many at once as requests arrive and takes every core
from the event loop and from the services beside the gateway. So an attempt (a registration, a
login) first takes a `turn()`: at most `workers` hold one at once (one per CPU by default), at
most `max_waiting` more wait, each at most `max_wait_s`; anything beyond that is refused at once
with HashingBusy (a 503 with Retry-After). The turn covers the whole attempt, not only its hash,
so a refused one has not written its rate-limit counters either: a flood costs the database as
little as the CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

log = structlog.get_logger(__name__)

T = TypeVar("T")


class HashingBusy(Exception):
    """Every hashing slot is taken and the wait queue is full (or the wait took too long)."""


def cpu_count() -> int:
    """The CPUs this process may run on (a container's CPU set, not the host's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Passwords:
    def __init__(
        self,
        hasher: PasswordHasher | None = None,
        *,
        workers: int | None = None,
        max_waiting: int | None = None,
        max_wait_s: float = 2.0,
    ) -> None:
        self._hasher = hasher or PasswordHasher()
        self.workers = workers or cpu_count()
        self.max_waiting = self.workers * 4 if max_waiting is None else max_waiting
        self._max_wait_s = max_wait_s
        # Created lazily: the semaphore belongs to the event loop that first uses it.
        self._slots: asyncio.Semaphore | None = None
        self._waiting = 0
        self._threads = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="argon2")
        # Checked against when the login is unknown, so that answer takes as long as a wrong password.
        self._decoy_hash = self._hasher.hash("decoy password for unknown logins")

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """One attempt's turn to hash; HashingBusy when there is none to be had soon."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        if self._slots.locked():
            if self._waiting >= self.max_waiting:
                log.warning("password_hashing_busy", running=self.workers, waiting=self._waiting)
                raise HashingBusy("every password hashing slot is taken")
            self._waiting += 1
            try:
                # A slot granted just as the wait ends is given back by acquire() itself.
                async with asyncio.timeout(self._max_wait_s):
                    await self._slots.acquire()
            except TimeoutError:
                log.warning("password_hashing_busy", running=self.workers, waiting=self._waiting)
                raise HashingBusy("waited too long for a password hashing slot") from None
            finally:
                self._waiting -= 1
        else:
            await self._slots.acquire()
        try:
            yield
        finally:
            self._slots.release()

    async def hash(self, password: str) -> str:
        """Call during a turn()."""
        return await self._run(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when `password` matches; with no hash (unknown login) it spends the same time and says False.
        Call during a turn()."""
        try:
            await self._run(self._hasher.verify, password_hash or self._decoy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return password_hash is not None

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def _run(self, work: Callable[[str, str], T] | Callable[[str], T], *arguments: str) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._threads, work, *arguments)
