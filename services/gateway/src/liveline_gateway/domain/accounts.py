"""Accounts: who may log in, with what login and password, in which role."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from liveline_shared.callers import Caller, Role

from .errors import InvalidLogin, InvalidMerchantId, WeakPassword

LoginKind = Literal["phone", "email"]

# The rules of logins and passwords, written once here as JSON Schema patterns: the domain checks
# them, and the OpenAPI document (api/schemas.py) shows them to clients. Whitespace is spelled
# out as the six ASCII spaces, because `\s` means more characters to Python than to the
# ECMA-262 regular expressions of JSON Schema (\x1c-\x1f, \x85), and the two must agree.
_SPACES = r" \t\n\r\f\v"  # as a regular expression writes them
_SPACE_CHARACTERS = " \t\n\r\f\v"
_SPACE = rf"[{_SPACES}]"
PASSWORD_MIN_LENGTH = 10
# Long enough for any passphrase; short enough that hashing stays cheap for an attacker's input.
PASSWORD_MAX_LENGTH = 256
# Something besides spaces.
PASSWORD_PATTERN = rf"[^{_SPACES}]"
LOGIN_MAX_LENGTH = 254  # RFC 5321's limit on a forward path
# People write phone numbers with spaces, dashes, dots and brackets; they are not part of it.
_SEPARATOR = rf"[{_SPACES}\-.()]"
# E.164 once the separators are gone: a plus, a country code that does not start with 0, at
# most 15 digits in all.
_PHONE = rf"\+{_SEPARATOR}*[1-9](?:{_SEPARATOR}*[0-9]){{6,14}}{_SEPARATOR}*"
# Deliberately loose: one @, no spaces, a dot in the domain. Ownership is what really matters.
# A leading + means a phone number.
_EMAIL = rf"[^@+{_SPACES}][^@{_SPACES}]*@[^@{_SPACES}]+\.[^@.{_SPACES}]+"
LOGIN_PATTERN = rf"^{_SPACE}*(?:{_PHONE}|{_EMAIL}){_SPACE}*$"

# The ids liveline issues (uuid hex), as a merchant id must be.
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"

_LOGIN = re.compile(LOGIN_PATTERN)
_PHONE_SEPARATORS = re.compile(_SEPARATOR)
_ID = re.compile(ID_PATTERN)


@dataclass(frozen=True)
class Login:
    """A login in its normalized form: `+8613800138000` or `someone@example.com`."""

    kind: LoginKind
    value: str


def normalize_login(raw: str) -> Login:
    """The normalized login, or InvalidLogin when `raw` is neither a phone number nor an e-mail address."""
    text = raw.strip(_SPACE_CHARACTERS)
    if len(raw) > LOGIN_MAX_LENGTH or not _LOGIN.fullmatch(raw):
        if text.startswith("+"):
            raise InvalidLogin("a phone number must be in E.164 form, like +8613800138000")
        if "@" in text:
            raise InvalidLogin("not a valid e-mail address")
        raise InvalidLogin("a login is a phone number in E.164 form (+8613800138000) or an e-mail address")
    if text.startswith("+"):
        return Login("phone", _PHONE_SEPARATORS.sub("", text))
    # Lower-casing the local part too: two accounts for Alice@ and alice@ only confuse people.
    return Login("email", text.lower())


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
