"""Liveness, readiness and metrics endpoints, the same on every service.

`/healthz` says the process answers. `/readyz` runs the service's dependency checks (Kafka, its
database, MinIO for media) each under a deadline, answers 503 naming what failed, and turns
green again by itself once the dependency is back. `/metrics` is Prometheus' text format.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

# A check returns when the dependency answers and raises (with a reason) when it does not.
Check = Callable[[], Awaitable[None]]

DEPENDENCY_UP = Gauge(
    "liveline_dependency_up", "1 when the last readiness check of a dependency passed", ["dependency"]
)


class Readiness:
    def __init__(self, checks: Mapping[str, Check], timeout_s: float) -> None:
        self.checks = dict(checks)
        self.timeout_s = timeout_s

    async def _run_one(self, name: str, check: Check) -> tuple[str, str | None]:
        try:
            await asyncio.wait_for(check(), timeout=self.timeout_s)
        except TimeoutError:
            return name, f"no answer within {self.timeout_s:g} s"
        except Exception as error:  # noqa: BLE001 - any failure means "not ready", with its reason
            return name, f"{type(error).__name__}: {error}"[:300]
        return name, None

    async def report(self) -> tuple[bool, dict[str, str]]:
        results = await asyncio.gather(*(self._run_one(n, c) for n, c in self.checks.items()))
        status: dict[str, str] = {}
        for name, failure in results:
            DEPENDENCY_UP.labels(name).set(0 if failure else 1)
            status[name] = failure or "ok"
        return all(failure is None for _, failure in results), status


def ops_router(service: str, readiness: Readiness) -> APIRouter:
    router = APIRouter(tags=["operations"], include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive", "service": service}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        ready, checks = await readiness.report()
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "service": service, "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
