"""Answering with what the order service answered: its status, body and content type, unchanged."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import Path, Response

from liveline_shared.contracts.orders import IDEMPOTENT_REPLAY_HEADER

# The headers of an upstream answer the client should see; hop-by-hop and server headers stay behind.
_RELAYED_HEADERS = ("retry-after", IDEMPOTENT_REPLAY_HEADER.lower(), "www-authenticate")

# Ids in paths are what the order service issues (uuid hex); anything else is refused here,
# before it could be read as another path of the internal API.
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
ObjectId = Annotated[str, Path(pattern=ID_PATTERN, description="An id issued by liveline")]


def relay(upstream: httpx.Response) -> Response:
    headers = {name: upstream.headers[name] for name in _RELAYED_HEADERS if name in upstream.headers}
    return Response(
        content=upstream.content,
        status_code=upstream.status_code,
        headers=headers,
        media_type=upstream.headers.get("content-type"),
    )
