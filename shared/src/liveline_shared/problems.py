"""Errors at the HTTP API as RFC 9457 problem documents (`application/problem+json`).

Every error has a stable `type` URI (https://liveline.dev/problems/<slug>) that clients may
switch on, a short `title` that never changes for that type, and a `detail` for this occurrence.

Every request also has a correlation id: the caller's `X-Correlation-Id` when it is well-formed
(the gateway passes its own on to the services it calls), otherwise a new one. It is on every
log line the request writes and in the answer's `X-Correlation-Id`, and a 5xx problem carries it
as `correlation_id`, so an operator finds what happened with one grep.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from pymongo.errors import PyMongoError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://liveline.dev/problems/"
CORRELATION_ID_HEADER = "X-Correlation-Id"
# What a caller's correlation id may look like; anything else is replaced, never logged.
_CORRELATION_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

log = structlog.get_logger(__name__)


class Problem(Exception):
    """Raise one of these (or a subclass) anywhere in a request to answer with a problem document."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str = "",
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": PROBLEM_BASE + self.slug, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body


class ProblemDocument(BaseModel):
    """An RFC 9457 problem document (`application/problem+json`), as the OpenAPI documents show it."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    correlation_id: str | None = Field(
        default=None, description="On 5xx answers: the id under which the operator finds this request in the logs."
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI `responses` entries for the problem documents a route may answer."""
    return {
        status: {"model": ProblemDocument, "content": {PROBLEM_JSON: {}}, "description": "A problem document"}
        for status in statuses
    }


def problem_response(problem: Problem, instance: str | None = None) -> JSONResponse:
    body = problem.body(instance)
    if problem.status >= 500:
        # The operator's way from this answer to the request's log lines.
        correlation_id = structlog.contextvars.get_contextvars().get("correlation_id")
        if correlation_id:
            body.setdefault("correlation_id", correlation_id)
    return JSONResponse(body, status_code=problem.status, headers=problem.headers, media_type=PROBLEM_JSON)


_GENERIC = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("rate-limited", "Too many requests"),
}


ServiceError = TypeVar("ServiceError", bound=Exception)
# Answers that say "try again in a second": nothing is wrong with the request.
TRY_AGAIN = {"Retry-After": "1"}
# A service this one calls did not answer (the cause is in the log, not in the answer).
UPSTREAM_UNAVAILABLE = Problem(
    503, "upstream-unavailable", "A service behind this one did not answer", "Try again shortly.", headers=TRY_AGAIN
)


def answer_errors(app: FastAPI, error_type: type[ServiceError], to_problem: Callable[[ServiceError], Problem]) -> None:
    """Answers every `error_type` a request raises with the problem `to_problem` makes of it
    (a service's domain errors, each with its stable slug)."""

    async def answer(request: Request, error: Exception) -> JSONResponse:
        return problem_response(to_problem(error), request.url.path)  # type: ignore[arg-type]

    app.add_exception_handler(error_type, answer)


def install_problem_handlers(app: FastAPI) -> None:
    """Makes every error the app answers a problem: ours, FastAPI's validation, Starlette's
    404/405, a database that does not answer, and (through RequestContext) any exception
    nothing else handled."""
    app.add_middleware(RequestContext)

    @app.exception_handler(PyMongoError)
    async def _database_error(request: Request, error: PyMongoError) -> JSONResponse:
        # Whatever the request had done stays consistent (single-document writes; the services'
        # sweeps finish or undo the rest), so a retry is safe.
        log.warning("database_error", path=request.url.path, error=f"{type(error).__name__}: {error}")
        return problem_response(
            Problem(503, "database-unavailable", "The database did not answer in time", headers=dict(TRY_AGAIN)),
            request.url.path,
        )

    @app.exception_handler(Problem)
    async def _problem(request: Request, problem: Problem) -> JSONResponse:
        return problem_response(problem, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", ""), "kind": e.get("type", "")}
            for e in error.errors()
        ]
        problem = Problem(422, "invalid-request", "The request is not valid", "See `errors` for each field.", errors=errors)
        return problem_response(problem, request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        slug, title = _GENERIC.get(error.status_code, ("error", "Error"))
        detail = error.detail if isinstance(error.detail, str) and error.detail != title else ""
        headers = dict(error.headers or {})
        if error.status_code == 405:
            # Starlette names only the methods of the first route that matched the path.
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem_response(Problem(error.status_code, slug, title, detail, headers=headers), request.url.path)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers at this request's path."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] != Match.NONE:
            methods |= route.methods
    return sorted(methods)


def correlation_id_of(scope: Scope) -> str:
    """The caller's correlation id when it is well-formed, otherwise a new one."""
    for name, value in scope.get("headers", []):
        if name == b"x-correlation-id":
            candidate = value.decode("latin-1")
            if _CORRELATION_ID.fullmatch(candidate):
                return candidate
    return uuid.uuid4().hex


class RequestContext:
    """Binds the request's correlation id to its log lines and its answer, and answers an
    exception that nothing else handled with a 500 problem, logged with its traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = correlation_id_of(scope)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)[CORRELATION_ID_HEADER] = correlation_id
            await send(message)

        with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
            try:
                await self.app(scope, receive, send_with_id)
            except _BodyTooLarge:
                raise  # BodySizeLimit, outside this middleware, answers it
            except Exception:
                log.exception("unhandled_error", method=scope.get("method"), path=scope.get("path"))
                if started:
                    raise  # part of an answer is sent; nothing better can follow it
                problem = Problem(
                    500, "internal-error", "Internal error",
                    "Something went wrong on our side. Quote the correlation_id when reporting it.",
                )
                await problem_response(problem, scope.get("path"))(scope, receive, send_with_id)


class BodySizeLimit:
    """Refuses a request body over `max_bytes` with 413 before the app reads it all."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        # This answer leaves before RequestContext (inside this middleware) gave the request an id.
        problem = Problem(
            413, "payload-too-large", "Request body too large", f"The limit is {self.max_bytes} bytes.",
            headers={CORRELATION_ID_HEADER: correlation_id_of(scope)},
        )
        await problem_response(problem, scope.get("path"))(scope, receive, send)


class _BodyTooLarge(Exception):
    pass
