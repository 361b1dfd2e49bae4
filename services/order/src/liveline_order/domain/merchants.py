"""Merchants: a business with an address, a time zone and a contact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from liveline_shared.contacts import InvalidContact, parse_contact

from .errors import InvalidMerchant


@dataclass(frozen=True)
class Merchant:
    merchant_id: str
    name: str
    address: str
    timezone: str
    contact: str
    created_at: datetime


def check_timezone(name: str) -> str:
    """An IANA zone name as zoneinfo knows it; local times are computed from it only at the edge."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidMerchant(f"{name!r} is not an IANA time zone (like Asia/Shanghai)") from None
    return name


def normalize_contact(contact: str) -> str:
    """The contact in its normalized form: an E.164 phone number or an e-mail address, as logins are."""
    try:
        return parse_contact(contact).value
    except InvalidContact as error:
        raise InvalidMerchant(f"the contact: {error}") from None
