"""Phone numbers and e-mail addresses as liveline accepts them, for logins and merchants' contacts.

Written once, as JSON Schema patterns: the domains check them and the OpenAPI documents show them
to clients, and the two must agree. Whitespace is spelled out as the six ASCII spaces, because
`\\s` means more characters to Python than to the ECMA-262 regular expressions of JSON Schema
(\\x1c-\\x1f, \\x85).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

SPACES = r" \t\n\r\f\v"  # as a regular expression writes them
SPACE_CHARACTERS = " \t\n\r\f\v"
_SPACE = rf"[{SPACES}]"
# People write phone numbers with spaces, dashes, dots and brackets; they are not part of it.
_SEPARATOR = rf"[{SPACES}\-.()]"
# E.164 once the separators are gone: a plus, a country code that does not start with 0, at
# most 15 digits in all.
_PHONE = rf"\+{_SEPARATOR}*[1-9](?:{_SEPARATOR}*[0-9]){{6,14}}{_SEPARATOR}*"
# Deliberately loose: one @, no spaces, a dot in the domain. Ownership is what really matters.
# A leading + means a phone number.
_EMAIL = rf"[^@+{SPACES}][^@{SPACES}]*@[^@{SPACES}]+\.[^@.{SPACES}]+"
CONTACT_PATTERN = rf"^{_SPACE}*(?:{_PHONE}|{_EMAIL}){_SPACE}*$"
CONTACT_MAX_LENGTH = 254  # RFC 5321's limit on a forward path

_CONTACT = re.compile(CONTACT_PATTERN)
_SEPARATORS = re.compile(_SEPARATOR)

ContactKind = Literal["phone", "email"]


@dataclass(frozen=True)
class Contact:
    """A phone number or e-mail address in its normalized form: `+8613800138000`, `someone@example.com`."""

    kind: ContactKind
    value: str


class InvalidContact(ValueError):
    """Neither an E.164 phone number nor an e-mail address; the message says which was meant."""


def parse_contact(raw: str) -> Contact:
    text = raw.strip(SPACE_CHARACTERS)
    if len(raw) > CONTACT_MAX_LENGTH or not _CONTACT.fullmatch(raw):
        if text.startswith("+"):
            raise InvalidContact("a phone number must be in E.164 form, like +8613800138000")
        if "@" in text:
            raise InvalidContact("not a valid e-mail address")
        raise InvalidContact("neither a phone number in E.164 form (+8613800138000) nor an e-mail address")
    if text.startswith("+"):
        return Contact("phone", _SEPARATORS.sub("", text))
    # Lower-casing the local part too: two accounts for Alice@ and alice@ only confuse people.
    return Contact("email", text.lower())
