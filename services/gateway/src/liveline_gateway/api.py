"""HTTP entrypoints of the gateway service (health, readiness and metrics come from liveline_shared)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
