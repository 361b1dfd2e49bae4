"""`python -m tests.api.flood URL COUNT`: sends COUNT registrations and logins to the gateway at
URL all at once, each from a client address of its own, and prints what came back as JSON lines
(status, content type, Retry-After, problem type).

It runs as a process of its own, so that the test measuring the gateway meanwhile is not slowed
by the work of sending the flood.
"""

from __future__ import annotations

import asyncio
import json
import sys

import httpx

from tests.api.support import PASSWORD, client_address, new_login


async def flood(url: str, count: int) -> list[dict]:
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=httpx.Limits(max_connections=count)) as http:

        async def attempt(n: int) -> dict:
            # A registration, or a login unknown to the gateway: either costs a password hash.
            path = "/v1/accounts" if n % 2 == 0 else "/v1/sessions"
            response = await http.post(
                path, json={"login": new_login("flood"), "password": PASSWORD},
                headers={"X-Forwarded-For": client_address()},
            )
            problem = response.json().get("type") if response.status_code >= 400 else None
            return {
                "status": response.status_code, "content_type": response.headers.get("content-type"),
                "retry_after": response.headers.get("retry-after"), "type": problem,
            }

        return await asyncio.gather(*(attempt(n) for n in range(count)))


if __name__ == "__main__":
    for answer in asyncio.run(flood(sys.argv[1], int(sys.argv[2]))):
        print(json.dumps(answer))
