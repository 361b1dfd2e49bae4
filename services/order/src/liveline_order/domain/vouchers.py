"""Voucher codes: what a buyer shows and merchant staff type or scan to redeem an order."""

from __future__ import annotations

import re
import secrets

CODE_DIGITS = 12
_CODE = re.compile(rf"[0-9]{{{CODE_DIGITS}}}")
QR_PREFIX = "liveline:voucher:"


def new_voucher_code() -> str:
    """12 random digits from the operating system's CSPRNG (about 40 bits): not guessable, and
    short enough to read out at a till. Uniqueness is the database's job (a unique key)."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def qr_payload(code: str) -> str:
    return f"{QR_PREFIX}{code}"


def normalize_code(text: str) -> str | None:
    """The code typed or scanned (spaces and dashes ignored, a QR payload accepted), or None if it cannot be one."""
    raw = text.strip()
    if raw.startswith(QR_PREFIX):
        raw = raw[len(QR_PREFIX):]
    code = re.sub(r"[\s-]", "", raw)
    return code if _CODE.fullmatch(code) else None
