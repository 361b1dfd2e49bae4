"""Accounts: who may log in, with what login and password, in which role."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from liveline_shared.callers import Caller, Role

from .errors import InvalidLogin, InvalidMerchantId, WeakPassword

LoginKind = Literal["phone", "email"]

PASSWORD_MIN_LENGTH = 10
# Long enough for any passphrase; short enough that hashing stays cheap for an attacker's input.
PASSWORD_MAX_LENGTH = 256
EMAIL_MAX_LENGTH = 254  # RFC 5321's limit on a forward path

# E.164: a plus, a country code that does not start with 0, at most 15 digits in all.
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# People write phone numbers with spaces, dashes, dots and brackets; they are not part of it.
_PHONE_SEPARATORS = re.compile(r"[\s\-.()]")
# Deliberately loose: one @, no spaces, a dot in the domain. Ownership is what really matters.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_MERCHANT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Login:
    """A login in its normalized form: `+8613800138000` or `someone@example.com`."""

    kind: LoginKind
    value: str


def normalize_login(raw: str) -> Login:
    """The normalized login, or InvalidLogin when `raw` is neither a phone number nor an e-mail address."""
    text = raw.strip()
    if text.startswith("+"):
        phone = _PHONE_SEPARATORS.sub("", text)
        if not _E164.fullmatch(phone):
            raise InvalidLogin("a phone number must be in E.164 form, like +8613800138000")
        return Login("phone", phone)
    if "@" in text:
        # Lower-casing the local part too: two accounts for Alice@ and alice@ only confuse people.
        email = text.lower()
        if len(email) > EMAIL_MAX_LENGTH or not _EMAIL.fullmatch(email):
            raise InvalidLogin("not a valid e-mail address")
        return Login("email", email)
    raise InvalidLogin("a login is a phone number in E.164 form (+8613800138000) or an e-mail address")


def check_password_policy(password: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {PASSWORD_MIN_LENGTH} characters")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise WeakPassword(f"a password has at most {PASSWORD_MAX_LENGTH} characters")
    if not password.strip():
        raise WeakPassword("a password cannot be only spaces")


def check_merchant_id(merchant_id: str) -> str:
    if not _MERCHANT_ID.fullmatch(merchant_id):
        raise InvalidMerchantId("a merchant id is 1 to 64 letters, digits, '-' or '_'")
    return merchant_id


@dataclass(frozen=True)
class Account:
    """A person who can log in. Staff belong to exactly one merchant; no one else belongs to any."""

    account_id: str
    login: Login
    role: Role
    merchant_id: str | None
    password_hash: str
    created_at: datetime

    def __post_init__(self) -> None:
        if (self.role == "staff") != (self.merchant_id is not None):
            raise ValueError("staff accounts, and only they, have a merchant_id")

    def as_caller(self) -> Caller:
        return Caller(account_id=self.account_id, role=self.role, merchant_id=self.merchant_id)
