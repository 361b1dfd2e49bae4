"""The gateway's client of an internal service's HTTP API (order, slots, queue-notifier, media).

The gateway forwards the authenticated caller (liveline_shared.callers) and leaves every
object-level decision to the service that owns the object, so this client mostly relays
requests and answers.
Requests that are safe to repeat are retried a bounded number of times with backoff; a request
that may have reached the service is never repeated unless the service makes it idempotent.
Each call carries the request's correlation id, so both services log it under the same id.
It sends with aiohttp: on this machine a relay over httpx's client served about a third of
the requests per second of the same relay over aiohttp's.
"""

from __future__ import annotations

import asyncio
import codecs
import json
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import quote

import aiohttp
import structlog
from multidict import CIMultiDictProxy

from liveline_shared.backoff import Backoff
from liveline_shared.callers import Caller
from liveline_shared.log_context import current_correlation_id
from liveline_shared.problems import CORRELATION_ID_HEADER, PROBLEM_BASE

log = structlog.get_logger(__name__)

# GET, and a POST the service makes idempotent (POST /orders with its Idempotency-Key answers a
# retry with the first outcome), may be repeated after a timeout or a dropped connection.
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Answers worth trying again: the service (or a proxy) was briefly unable to answer.
_RETRY_STATUSES = frozenset({502, 503, 504})
# No connection was made, so nothing was sent: refused, unresolvable, or none made or freed in
# the pool within the connect timeout (ConnectionTimeoutError; a total timeout is not one).
_NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
# Sent, or perhaps sent, then no whole answer: the connection dropped or was reset
# (ServerDisconnectedError, ClientOSError), the answer was no HTTP (ClientResponseError) or
# broke off (ClientPayloadError), or the total timeout passed (a bare TimeoutError).
_MAYBE_SENT = (aiohttp.ClientConnectionError, aiohttp.ClientResponseError, aiohttp.ClientPayloadError, TimeoutError)


class UpstreamUnavailable(Exception):
    """An internal service did not answer (down, too slow, or refused our internal token)."""


class UpstreamBusy(UpstreamUnavailable):
    """As many requests as the service is given at once are already waiting for it: this one is
    answered at once (503 with Retry-After) instead of queueing behind them for seconds."""


@dataclass(frozen=True)
class UpstreamResponse:
    """An internal service's answer, read in full before its connection went back to the pool."""

    status_code: int
    headers: CIMultiDictProxy[str]  # case-insensitive; a repeated header keeps every value
    content: bytes

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.content)

    @property
    def text(self) -> str:
        """The body decoded by the charset its Content-Type names (UTF-8 without one), bytes that
        do not decode replaced."""
        return self.content.decode(_charset(self.headers.get("content-type")), errors="replace")


def _charset(content_type: str | None) -> str:
    if content_type:
        header = Message()
        header["content-type"] = content_type
        charset = header.get_content_charset()
        if charset:
            try:
                return codecs.lookup(charset).name
            except LookupError:
                pass
    return "utf-8"


def segment(value: str) -> str:
    """A path segment built from client input: quoted, so `/` or `..` can never reach another route."""
    return quote(value, safe="")


class UpstreamClient:
    def __init__(
        self,
        service: str,
        base_url: str,
        internal_token: str,
        *,
        timeout_s: float = 10.0,
        connect_timeout_s: float = 2.0,
        attempts: int = 3,
        first_backoff_s: float = 0.1,
        max_backoff_s: float = 2.0,
        max_connections: int = 200,
        max_in_flight: int | None = None,
    ) -> None:
        self.service = service
        self._base_url = base_url.rstrip("/")
        self._max_in_flight = max_in_flight
        self._in_flight = 0
        self._internal_token = internal_token
        self._attempts = attempts
        self._first_backoff_s = first_backoff_s
        self._max_backoff_s = max_backoff_s
        # total: the whole call, from waiting for a connection to the last byte of the answer.
        # connect: waiting for a pooled connection and opening a new one (sock_connect would
        # bound only the latter, and a pool wait cut short by `total` could not be told apart
        # from a slow answer).
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, connect=connect_timeout_s)
        self._max_connections = max_connections
        self._http: aiohttp.ClientSession | None = None
        self._closed = False

    def _session(self) -> aiohttp.ClientSession:
        # Made on first use: a session belongs to the event loop running when it is made, and
        # the app (with its clients) is built before the server starts its loop.
        if self._http is None:
            if self._closed:
                raise RuntimeError(f"the {self.service} client is closed")
            self._http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections),
                timeout=self._timeout,
                # One session serves every caller: no cookie of one may ride with another's call.
                cookie_jar=aiohttp.DummyCookieJar(),
                # A request without a body gets no Content-Type (aiohttp would add
                # application/octet-stream); a JSON body sets its own.
                skip_auto_headers=("Content-Type",),
            )
            # Left to itself, aiohttp sends a GET, PUT or DELETE once more after a dropped
            # connection; which request may be repeated is decided in _request alone. There is
            # no public switch: aiohttp's own test client turns it off the same way.
            self._http._retry_connection = False
        return self._http

    async def close(self) -> None:
        self._closed = True
        if self._http is not None:
            await self._http.close()

    async def request(
        self,
        method: str,
        path: str,
        caller: Caller | None,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> UpstreamResponse:
        """One request as `caller` (None: anonymous), retried while that is safe.

        Raises UpstreamUnavailable when no usable answer came within the attempts, UpstreamBusy
        (sending nothing) when `max_in_flight` requests to the service are unanswered already.
        """
        if self._max_in_flight is not None and self._in_flight >= self._max_in_flight:
            # Counted by the 503s of the route (http metrics); a line each would flood the log under load.
            log.debug("upstream_busy", service=self.service, method=method, path=path, in_flight=self._in_flight)
            raise UpstreamBusy(f"{self.service}: {self._in_flight} requests in flight")
        self._in_flight += 1
        try:
            return await self._request(method, path, caller, params=params, json=json, headers=headers, idempotent=idempotent)
        finally:
            self._in_flight -= 1

    async def _request(
        self,
        method: str,
        path: str,
        caller: Caller | None,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        idempotent: bool | None,
    ) -> UpstreamResponse:
        if idempotent is None:
            idempotent = method in _IDEMPOTENT_METHODS
        sent_headers = {**(headers or {})}
        # The service logs under the same id, and its events carry it on.
        correlation_id = current_correlation_id()
        if correlation_id:
            sent_headers[CORRELATION_ID_HEADER] = correlation_id
        sent_headers.update(
            caller.headers(self._internal_token) if caller else {"X-Liveline-Internal-Token": self._internal_token}
        )
        body = None
        if json is not None:
            body = _json_body(json)
            sent_headers["Content-Type"] = "application/json"
        url = self._base_url + path
        query = _query(params or {})
        pauses = Backoff(first_s=self._first_backoff_s, max_s=self._max_backoff_s).delays()
        for attempt in range(1, self._attempts + 1):
            last = attempt == self._attempts
            try:
                response = await self._send(method, url, query, body, sent_headers)
            except _NOT_SENT as error:
                # Nothing was sent, so any request may be tried again.
                failure = f"connect: {error}"
            except _MAYBE_SENT as error:
                # The request may have been applied: only an idempotent one is repeated.
                failure = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
                if not idempotent:
                    log.warning("upstream_failed", service=self.service, method=method, path=path, error=failure, attempt=attempt)
                    raise UpstreamUnavailable(f"{self.service}: {failure}") from error
            else:
                if response.status_code == 401 and _is_internal_refusal(response):
                    # Our internal token is wrong: a misconfiguration, not the caller's fault.
                    log.error("upstream_refused_internal_token", service=self.service, method=method, path=path)
                    raise UpstreamUnavailable(f"{self.service} refused the internal token")
                if response.status_code not in _RETRY_STATUSES or not idempotent or last:
                    return response
                failure = f"status {response.status_code}"
            if last:
                log.warning("upstream_failed", service=self.service, method=method, path=path, error=failure, attempt=attempt)
                raise UpstreamUnavailable(f"{self.service}: {failure}")
            await asyncio.sleep(next(pauses))
        raise AssertionError("unreachable")

    async def _send(
        self, method: str, url: str, query: dict[str, str | int | float], body: bytes | None, headers: dict[str, str]
    ) -> UpstreamResponse:
        # A redirect is the service's answer to relay, as it came.
        async with self._session().request(
            method, url, params=query, data=body, headers=headers, allow_redirects=False
        ) as response:
            # Read in full inside the block: the connection goes back to the pool with it.
            content = await response.read()
        return UpstreamResponse(response.status, response.headers, content)


def _json_body(value: Any) -> bytes:
    # As httpx encoded it: compact UTF-8, and NaN or Infinity refused rather than sent.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _query(params: Mapping[str, Any]) -> dict[str, str | int | float]:
    """The query as httpx sent it: a parameter that is None left out, a boolean as true or false
    (aiohttp refuses booleans)."""
    return {
        name: ("true" if value else "false") if isinstance(value, bool) else value
        for name, value in params.items()
        if value is not None
    }


def _is_internal_refusal(response: UpstreamResponse) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    # Any JSON may come back (a list, a string); only a problem document can be this refusal.
    return isinstance(body, dict) and body.get("type") == PROBLEM_BASE + "internal-unauthenticated"
