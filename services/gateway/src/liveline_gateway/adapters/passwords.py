"""Password hashing with Argon2id, run in worker threads so the event loop keeps serving."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        # Checked against when the login is unknown, so that answer takes as long as a wrong password.
        self._decoy_hash = self._hasher.hash("decoy password for unknown logins")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when `password` matches; with no hash (unknown login) it spends the same time and says False."""
        try:
            await asyncio.to_thread(self._hasher.verify, password_hash or self._decoy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return password_hash is not None
