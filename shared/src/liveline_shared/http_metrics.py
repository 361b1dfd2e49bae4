"""Counts every HTTP request of a service by route template and status code, and times it
(`liveline_http_requests_total`, `liveline_http_request_duration_seconds`): what the 5xx-rate
alert and the latency dashboards read. Routes are templates (`/v1/orders/{order_id}`), never
raw paths, so the metric's size does not grow with the data."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS


class HttpMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500  # an exception that escapes the app is answered 500 by the server

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_REQUEST_DURATION.labels(scope["method"], route).observe(time.perf_counter() - began)
