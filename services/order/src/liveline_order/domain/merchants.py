"""Merchants: a business with an address, a time zone and a contact."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidMerchant

# The same forms the gateway accepts for logins: E.164 phone numbers or a loose e-mail shape.
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_PHONE_SEPARATORS = re.compile(r"[\s\-.()]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


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
    text = contact.strip()
    if "@" in text:
        if not _EMAIL.fullmatch(text):
            raise InvalidMerchant("the contact is not a valid e-mail address")
        return text.lower()
    phone = _PHONE_SEPARATORS.sub("", text)
    if not _E164.fullmatch(phone):
        raise InvalidMerchant("the contact is a phone number in E.164 form (+862161234567) or an e-mail address")
    return phone
