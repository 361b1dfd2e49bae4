"""Answering with what an internal service answered: its status, body and content type, with two
exceptions that keep every error a client sees a public problem document.

- A problem document names the request in `instance`; the service only knows its own
  internal path (`/redemptions`), so the gateway puts the public one there (`/v1/redemptions`).
- An error that is not a problem document (a crash answered by a bare server, a proxy's HTML
  page) is not relayed: the client gets a 502 `upstream-error` problem with the request's
  correlation id, and the gateway logs what came back under that id.
"""

from __future__ import annotations

import json
from typing import Annotated

import structlog
from fastapi import Path, Request, Response

from liveline_shared.contracts.orders import IDEMPOTENT_REPLAY_HEADER
from liveline_shared.problems import PROBLEM_JSON, Problem, problem_response

from ..adapters.upstream import UpstreamResponse
from ..domain.accounts import ID_PATTERN

log = structlog.get_logger(__name__)

# The headers of an upstream answer the client should see; hop-by-hop and server headers stay behind.
_RELAYED_HEADERS = ("retry-after", IDEMPOTENT_REPLAY_HEADER.lower(), "www-authenticate")
# How much of a broken answer the log keeps.
_LOGGED_BODY_CHARS = 500

# Ids in paths are what the order service issues (uuid hex); anything else is refused here,
# before it could be read as another path of the internal API.
ObjectId = Annotated[str, Path(pattern=ID_PATTERN, description="An id issued by liveline")]


def answer_from(upstream: UpstreamResponse, request: Request) -> Response:
    """The client's answer to `request`, from the internal service's answer to it."""
    # A header sent more than once is relayed as one, its values comma-joined (RFC 9110, 5.3).
    headers = {name: ", ".join(upstream.headers.getall(name)) for name in _RELAYED_HEADERS if name in upstream.headers}
    content_type = upstream.headers.get("content-type", "")
    if upstream.status_code < 400:
        return Response(upstream.content, upstream.status_code, headers, media_type=content_type or None)
    problem = _problem_document(upstream) if content_type.startswith(PROBLEM_JSON) else None
    if problem is None:
        log.error(
            "upstream_answer_not_a_problem",
            method=request.method, path=request.url.path, upstream_status=upstream.status_code,
            upstream_content_type=content_type, upstream_body=upstream.text[:_LOGGED_BODY_CHARS],
        )
        # problem_response adds the correlation id, as to every 5xx problem.
        bad_gateway = Problem(
            502, "upstream-error", "A service behind the gateway failed",
            "Try again later; quote the correlation_id when reporting it.",
        )
        return problem_response(bad_gateway, request.url.path)
    problem["instance"] = request.url.path
    return Response(json.dumps(problem), upstream.status_code, headers, media_type=PROBLEM_JSON)


def _problem_document(upstream: UpstreamResponse) -> dict | None:
    try:
        body = upstream.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("type"), str) or body.get("status") != upstream.status_code:
        return None
    return body
