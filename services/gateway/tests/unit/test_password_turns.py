"""Password hashing takes turns: a bounded number at once, a short queue, then `busy`."""

from __future__ import annotations

import asyncio

import pytest
from argon2 import PasswordHasher

from liveline_gateway.adapters.passwords import HashingBusy, Passwords

# Cheap parameters: these tests are about turns, not about the hash.
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


async def test_beyond_the_running_and_the_waiting_attempts_are_refused_at_once():
    passwords = Passwords(CHEAP, workers=2, max_waiting=1, max_wait_s=5)
    release = asyncio.Event()

    async def attempt() -> str:
        async with passwords.turn():
            await release.wait()
            return await passwords.hash("correct horse battery")

    running = [asyncio.create_task(attempt()) for _ in range(3)]  # two run, one waits
    await asyncio.sleep(0.05)
    with pytest.raises(HashingBusy):
        async with passwords.turn():
            pass
    release.set()
    hashes = await asyncio.gather(*running)
    assert all(await asyncio.gather(*(passwords.verify(h, "correct horse battery") for h in hashes)))
    passwords.close()


async def test_a_wait_that_takes_too_long_is_refused_and_the_turn_is_not_lost():
    passwords = Passwords(CHEAP, workers=1, max_waiting=5, max_wait_s=0.1)
    release = asyncio.Event()

    async def hold() -> None:
        async with passwords.turn():
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0.01)
    with pytest.raises(HashingBusy):
        async with passwords.turn():
            pass
    release.set()
    await holder
    async with asyncio.timeout(1):
        async with passwords.turn():  # the one turn is free again
            assert not await passwords.verify(None, "anything")
    passwords.close()
