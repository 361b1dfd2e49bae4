"""Merchants: admins create them; anyone reads them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from liveline_shared.callers import Caller

from ..domain.errors import MerchantNotFound
from ..domain.merchants import Merchant, check_timezone, normalize_contact
from .dependencies import Dependencies, require_admin


@dataclass(frozen=True)
class CreateMerchant:
    name: str
    address: str
    timezone: str
    contact: str


async def create_merchant(command: CreateMerchant, caller: Caller | None, deps: Dependencies) -> Merchant:
    require_admin(caller)
    merchant = Merchant(
        merchant_id=uuid.uuid4().hex,
        name=command.name.strip(),
        address=command.address.strip(),
        timezone=check_timezone(command.timezone),
        contact=normalize_contact(command.contact),
        created_at=deps.now(),
    )
    await deps.merchants.add(merchant)
    return merchant


async def get_merchant(merchant_id: str, deps: Dependencies) -> Merchant:
    merchant = await deps.merchants.get(merchant_id)
    if merchant is None:
        raise MerchantNotFound(merchant_id)
    return merchant


async def list_merchants(limit: int, offset: int, deps: Dependencies) -> list[Merchant]:
    return await deps.merchants.page(limit, offset)
