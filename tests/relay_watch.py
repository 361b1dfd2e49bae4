"""Watching how an outbox relay gets hold of the documents it publishes, in a test: by a claim
(a write of its own first), or by reading them under the lease their write took (outbox.WriteLease)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from liveline_shared.relay import OutboxRelay


@dataclass
class RelayWatch:
    claimed: set[Any] = field(default_factory=set)
    read_held: set[Any] = field(default_factory=set)


def watch(relay: OutboxRelay) -> RelayWatch:
    """From now on, notes the ids of the documents `relay` tries to claim and of those it reads
    still carrying their writer's lease."""
    seen = RelayWatch()
    claim_many, read_held_many = relay.store.claim_many, relay.store.read_held_many

    async def claiming(collection: str, document_ids: Any, lease_token: str) -> list[dict[str, Any]]:
        seen.claimed.update(document_ids)
        return await claim_many(collection, document_ids, lease_token)

    async def reading_held(collection: str, tokens: Any) -> list[dict[str, Any]]:
        held = await read_held_many(collection, tokens)
        seen.read_held.update(document["_id"] for document in held)
        return held

    relay.store.claim_many = claiming  # type: ignore[method-assign]
    relay.store.read_held_many = reading_held  # type: ignore[method-assign]
    return seen
