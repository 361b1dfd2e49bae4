"""HTTP entrypoints of the gateway, versioned under /v1 (health, readiness and metrics come from liveline_shared)."""

from __future__ import annotations

from fastapi import APIRouter

from .routes import accounts, admin, catalog, orders, sessions

router = APIRouter(prefix="/v1")
router.include_router(accounts.router)
router.include_router(sessions.router)
router.include_router(admin.router)
router.include_router(catalog.router)
router.include_router(orders.router)
