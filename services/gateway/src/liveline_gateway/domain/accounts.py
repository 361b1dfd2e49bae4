"""Accounts: who may log in, with what login and password, in which role."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from liveline_shared.callers import Caller, Role
from liveline_shared.contacts import (
    CONTACT_MAX_LENGTH,
    CONTACT_PATTERN,
    SPACES,
    Contact,
    ContactKind,
    InvalidContact,
    parse_contact,
)

from .errors import InvalidLogin, InvalidMerchantId, WeakPassword

# The rules of passwords, written as JSON Schema patterns: the domain checks them, and the
# OpenAPI document (api/schemas.py) shows them to clients. A login is a contact
# (liveline_shared.contacts): an E.164 phone number or an e-mail address.
PASSWORD_MIN_LENGTH = 10
# Long enough for any passphrase; short enough that hashing stays cheap for an attacker's input.
PASSWORD_MAX_LENGTH = 256
# Something besides spaces.
PASSWORD_PATTERN = rf"[^{SPACES}]"
LOGIN_PATTERN = CONTACT_PATTERN
LOGIN_MAX_LENGTH = CONTACT_MAX_LENGTH

# The ids liveline issues (uuid hex), as a merchant id must be.
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"

_ID = re.compile(ID_PATTERN)

# A login in its normalized form: `+8613800138000` or `someone@example.com`.
Login = Contact
LoginKind = ContactKind


def normalize_login(raw: str) -> Login:
    """The normalized login, or InvalidLogin when `raw` is neither a phone number nor an e-mail address."""
    try:
        return parse_contact(raw)
    except InvalidContact as error:
        raise InvalidLogin(str(error)) from None


def check_password_policy(password: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {PASSWORD_MIN_LENGTH} characters")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise WeakPassword(f"a password has at most {PASSWORD_MAX_LENGTH} characters")
    if not re.search(PASSWORD_PATTERN, password):
        raise WeakPassword("a password cannot be only spaces")


def check_merchant_id(merchant_id: str) -> str:
    if not _ID.fullmatch(merchant_id):
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
