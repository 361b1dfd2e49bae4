"""Every answer of a service is a problem document when it is an error, an unexpected crash
included, and every answer carries the request's correlation id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from liveline_shared.logging import configure_logging
from liveline_shared.problems import PROBLEM_BASE, PROBLEM_JSON, install_problem_handlers


def an_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/things/{thing_id}")
    async def read(thing_id: str) -> dict:
        if thing_id == "broken":
            raise RuntimeError("the disk is full")
        return {"thing_id": thing_id}

    @app.patch("/things/{thing_id}")
    async def change(thing_id: str) -> dict:
        return {"thing_id": thing_id}

    return app


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    lines = io.StringIO()
    saved = logging.getLogger().handlers[:]
    configure_logging("service-under-test")
    logging.getLogger().handlers[0].setStream(lines)  # type: ignore[attr-defined]
    yield lines
    logging.getLogger().handlers[:] = saved


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(an_app()), base_url="http://service") as http:
        yield http


async def test_an_unhandled_exception_is_a_500_problem_whose_correlation_id_finds_the_traceback(client, log_lines):
    response = await client.get("/things/broken")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["type"] == PROBLEM_BASE + "internal-error" and body["instance"] == "/things/broken"
    assert "disk" not in response.text  # what went wrong stays in the log
    assert body["correlation_id"] == response.headers["X-Correlation-Id"]
    logged = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    crash = next(line for line in logged if line["event"] == "unhandled_error")
    assert crash["correlation_id"] == body["correlation_id"] and crash["level"] == "error"
    assert "Traceback" in crash["exception"] and "RuntimeError: the disk is full" in crash["exception"]


async def test_a_well_formed_correlation_id_of_the_caller_is_kept_and_any_other_replaced(client):
    kept = await client.get("/things/a", headers={"X-Correlation-Id": "gw-0123456789abcdef"})
    assert kept.status_code == 200 and kept.headers["X-Correlation-Id"] == "gw-0123456789abcdef"
    replaced = await client.get("/things/a", headers={"X-Correlation-Id": "no spaces\nor newlines"})
    assert replaced.headers["X-Correlation-Id"] not in ("", "no spaces\nor newlines")
    assert (await client.get("/things/a")).headers["X-Correlation-Id"] != replaced.headers["X-Correlation-Id"]


async def test_a_method_the_path_lacks_is_a_405_that_allows_every_method_of_the_path(client):
    response = await client.delete("/things/a")
    assert response.status_code == 405 and response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["Allow"] == "GET, PATCH"
