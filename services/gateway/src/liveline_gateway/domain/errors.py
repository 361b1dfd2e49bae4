"""What can go wrong with accounts and sessions, in the domain's words.

The API turns each of these into a problem document (see api/problems.py); handlers and
adapters raise them without knowing about HTTP.
"""

from __future__ import annotations


class AccountsError(Exception):
    """The base of every refusal the gateway explains to its caller."""


class InvalidLogin(AccountsError):
    """The login is neither an E.164 phone number nor an e-mail address."""


class WeakPassword(AccountsError):
    """The password does not follow the password policy."""


class InvalidMerchantId(AccountsError):
    """The merchant id is not a well-formed id."""


class UnknownMerchant(AccountsError):
    """No merchant has this id."""


class LoginTaken(AccountsError):
    """Another account already uses this login."""


class InvalidCredentials(AccountsError):
    """Unknown login or wrong password; deliberately the same error for both."""


class RateLimited(AccountsError):
    """Too many attempts (logins, registrations); the caller may try again after `retry_after_s` seconds."""

    def __init__(self, what: str, retry_after_s: int) -> None:
        super().__init__(f"too many {what}; try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class InvalidToken(AccountsError):
    """A token that is malformed, forged, revoked or unknown."""


class TokenExpired(AccountsError):
    """A token that was valid but whose lifetime has ended."""


class RefreshTokenReused(AccountsError):
    """A refresh token presented a second time; its whole family has been revoked."""


class AccountNotFound(AccountsError):
    """No account has this id (for instance, deleted after its token was issued)."""
