"""What every benchmark shares: real servers started for the run, and honest figures."""

from __future__ import annotations

import contextlib
import statistics
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx

from liveline_devstack.processes import ManagedProcess, free_port, wait_until
from liveline_devstack.stack import Endpoints, LocalStack


@contextlib.contextmanager
def servers() -> Iterator[Endpoints]:
    """Kafka, FerretDB and MinIO on free ports in a scratch folder, stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="liveline-bench-") as scratch:
        stack = LocalStack(Path(scratch))
        endpoints = stack.start()
        try:
            yield endpoints
        finally:
            stack.stop()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


async def ok(request: object) -> httpx.Response:
    """The awaited response, or an error naming the call that failed (a bench stops at the first)."""
    response = await request  # type: ignore[misc]
    if response.status_code not in (200, 201):
        raise RuntimeError(f"{response.request.method} {response.request.url.path}: {response.status_code} {response.text}")
    return response


async def log_in(http: httpx.AsyncClient, login: str, password: str, address: str) -> dict[str, str]:
    """The Authorization header of a new session; each `address` has its own login limit."""
    session = (await ok(http.post("/v1/sessions", json={"login": login, "password": password},
                                  headers={"X-Forwarded-For": address}))).json()
    return {"Authorization": f"Bearer {session['access_token']}"}


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def bare_server(source: str, log_dir: Path, *args: str, name: str = "bare") -> Iterator[str]:
    """The baseline: a minimal app (`source` runs uvicorn on the port given as its first argument,
    `args` follow) in a process of its own, ready; yields its URL and stops it afterwards."""
    port = free_port()
    bare = ManagedProcess(f"{name}-fastapi", [sys.executable, "-c", source, str(port), *args],
                          log_path=log_dir / f"{name}.log")
    bare.start()
    try:
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/docs"), timeout=30, what="bare FastAPI")
        yield f"http://127.0.0.1:{port}"
    finally:
        bare.stop()
