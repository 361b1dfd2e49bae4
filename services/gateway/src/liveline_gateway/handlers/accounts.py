"""Accounts and sessions, which the gateway owns: one async function per command, each given the
`Accounts` it works with."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import structlog

from liveline_shared.callers import Role
from liveline_shared.clock import Clock, to_millis

from ..adapters.accounts_repository import AccountsRepository
from ..adapters.merchants import MerchantDirectory
from ..adapters.passwords import Passwords
from ..adapters.rate_limits import Count, Limit, RateLimits
from ..adapters.tokens import AccessTokens, RefreshTokens
from ..domain.accounts import Account, Login, check_merchant_id, check_password_policy, normalize_login
from ..domain.errors import AccountNotFound, InvalidCredentials, InvalidToken, RateLimited, UnknownMerchant

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class AttemptLimits:
    """How often a client may try what costs a password hash."""

    login_failures_per_account: Limit
    login_attempts_per_address: Limit
    registrations_per_address: Limit


@dataclass(frozen=True)
class Accounts:
    """Everything the account and session handlers need; built in bootstrap.py."""

    repository: AccountsRepository
    passwords: Passwords
    access_tokens: AccessTokens
    refresh_tokens: RefreshTokens
    rate_limits: RateLimits
    limits: AttemptLimits
    merchants: MerchantDirectory
    clock: Clock


@dataclass(frozen=True)
class Register:
    login: str
    password: str
    client_address: str


@dataclass(frozen=True)
class CreateStaff:
    merchant_id: str
    login: str
    password: str


@dataclass(frozen=True)
class CreateAdmin:
    login: str
    password: str


@dataclass(frozen=True)
class LogIn:
    login: str
    password: str
    client_address: str


@dataclass(frozen=True)
class Refresh:
    refresh_token: str


@dataclass(frozen=True)
class LogOut:
    refresh_token: str


@dataclass(frozen=True)
class Session:
    """What a client keeps after logging in or refreshing."""

    access_token: str
    access_expires_in: timedelta
    refresh_token: str
    refresh_expires_in: timedelta


async def _new_account(
    accounts: Accounts, login: Login, password: str, role: Role, merchant_id: str | None = None
) -> Account:
    now = accounts.clock.now()
    account = Account(
        account_id=uuid.uuid4().hex,
        login=login,
        role=role,
        merchant_id=merchant_id,
        password_hash=await accounts.passwords.hash(password),
        # BSON keeps milliseconds; cut here so the account we answer with is the one stored.
        created_at=to_millis(now),
    )
    await accounts.repository.add(account)
    return account


async def _count_attempt(accounts: Accounts, limit: Limit, key: str, what: str, client_address: str) -> Count:
    """Counts one attempt against `limit`; RateLimited once the count is over it."""
    count = await accounts.rate_limits.add(limit, key)
    if count.over(limit):
        # The login itself stays out of the logs; the address says where the attempts come from.
        log.warning("rate_limited", scope=limit.scope, client_address=client_address)
        raise RateLimited(what, count.retry_after_s)
    return count


async def register(command: Register, accounts: Accounts) -> Account:
    """A customer signs up. Counted per client address before the password is hashed, so a
    flood of sign-ups from one address stops costing hashes once it is over the limit; and,
    like a login, done during a hashing turn."""
    login = normalize_login(command.login)
    check_password_policy(command.password)
    async with accounts.passwords.turn():
        await _count_attempt(
            accounts, accounts.limits.registrations_per_address, command.client_address, "registrations",
            command.client_address,
        )
        return await _new_account(accounts, login, command.password, "customer")


async def create_staff(command: CreateStaff, accounts: Accounts) -> Account:
    """An admin gives a merchant's staff member an account (the caller's role is checked at the API)."""
    merchant_id = check_merchant_id(command.merchant_id)
    login = normalize_login(command.login)
    check_password_policy(command.password)
    if not await accounts.merchants.exists(merchant_id):
        raise UnknownMerchant(merchant_id)
    async with accounts.passwords.turn():
        return await _new_account(accounts, login, command.password, "staff", merchant_id)


async def create_admin(command: CreateAdmin, accounts: Accounts) -> Account:
    """The operator creates an admin (from the command line, never over HTTP)."""
    login = normalize_login(command.login)
    check_password_policy(command.password)
    async with accounts.passwords.turn():
        return await _new_account(accounts, login, command.password, "admin")


async def log_in(command: LogIn, accounts: Accounts) -> Session:
    """Checks a login and password under both rate limits and starts a session.

    Both counters are bumped before the password is checked, so concurrent guesses cannot slip
    past a limit; an attempt over a limit never reaches the password check. All of it happens
    during a hashing turn, so a flood beyond the turns is refused before it writes anything.
    """
    login = normalize_login(command.login)
    limits = accounts.limits
    address = command.client_address
    async with accounts.passwords.turn():
        await _count_attempt(accounts, limits.login_attempts_per_address, address, "login attempts", address)
        # Keyed by the login, not the account, so unknown logins are limited exactly like known ones.
        failures = await _count_attempt(
            accounts, limits.login_failures_per_account, login.value, "login attempts", address
        )
        account = await accounts.repository.by_login(login)
        password_hash = account.password_hash if account else None
        password_matches = await accounts.passwords.verify(password_hash, command.password)
    if account is None or not password_matches:
        raise InvalidCredentials("unknown login or wrong password")
    # Only failures count against an account; this attempt succeeded, so its count is given back.
    await accounts.rate_limits.give_back(limits.login_failures_per_account, login.value, failures)
    refresh_token = await accounts.refresh_tokens.start_family(account.account_id)
    return _session(accounts, account, refresh_token)


async def refresh(command: Refresh, accounts: Accounts) -> Session:
    grant, refresh_token = await accounts.refresh_tokens.rotate(command.refresh_token)
    account = await accounts.repository.by_id(grant.account_id)
    if account is None:
        raise InvalidToken("the account of this session no longer exists")
    return _session(accounts, account, refresh_token)


async def log_out(command: LogOut, accounts: Accounts) -> None:
    await accounts.refresh_tokens.revoke_family_of(command.refresh_token)


async def get_account(account_id: str, accounts: Accounts) -> Account:
    account = await accounts.repository.by_id(account_id)
    if account is None:
        raise AccountNotFound(account_id)
    return account


def _session(accounts: Accounts, account: Account, refresh_token: str) -> Session:
    return Session(
        access_token=accounts.access_tokens.issue(account.as_caller()),
        access_expires_in=accounts.access_tokens.ttl,
        refresh_token=refresh_token,
        refresh_expires_in=accounts.refresh_tokens.ttl,
    )
