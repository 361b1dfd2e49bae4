"""HTTP entrypoints of the media service (health, readiness and metrics come from liveline_shared)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
