"""The gateway's use cases: one async function per command, each given the `Accounts` it works with."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import structlog

from liveline_shared.callers import Role
from liveline_shared.clock import Clock

from .adapters.accounts_repository import AccountsRepository
from .adapters.merchants import MerchantDirectory
from .adapters.passwords import Passwords
from .adapters.rate_limits import Limit, RateLimits
from .adapters.tokens import AccessTokens, RefreshTokens
from .domain.accounts import Account, check_merchant_id, check_password_policy, normalize_login
from .domain.errors import AccountNotFound, InvalidCredentials, InvalidToken, LoginRateLimited, UnknownMerchant

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class LoginLimits:
    failures_per_account: Limit
    attempts_per_address: Limit


@dataclass(frozen=True)
class Accounts:
    """Everything the account and session handlers need; built in bootstrap.py."""

    repository: AccountsRepository
    passwords: Passwords
    access_tokens: AccessTokens
    refresh_tokens: RefreshTokens
    rate_limits: RateLimits
    login_limits: LoginLimits
    merchants: MerchantDirectory
    clock: Clock


@dataclass(frozen=True)
class Register:
    login: str
    password: str


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
    accounts: Accounts, raw_login: str, password: str, role: Role, merchant_id: str | None = None
) -> Account:
    login = normalize_login(raw_login)
    check_password_policy(password)
    now = accounts.clock.now()
    account = Account(
        account_id=uuid.uuid4().hex,
        login=login,
        role=role,
        merchant_id=merchant_id,
        password_hash=await accounts.passwords.hash(password),
        # BSON keeps milliseconds; cut here so the account we answer with is the one stored.
        created_at=now.replace(microsecond=now.microsecond // 1000 * 1000),
    )
    await accounts.repository.add(account)
    return account


async def register(command: Register, accounts: Accounts) -> Account:
    """A customer signs up."""
    return await _new_account(accounts, command.login, command.password, "customer")


async def create_staff(command: CreateStaff, accounts: Accounts) -> Account:
    """An admin gives a merchant's staff member an account (the caller's role is checked at the API)."""
    merchant_id = check_merchant_id(command.merchant_id)
    if not await accounts.merchants.exists(merchant_id):
        raise UnknownMerchant(merchant_id)
    return await _new_account(accounts, command.login, command.password, "staff", merchant_id)


async def create_admin(command: CreateAdmin, accounts: Accounts) -> Account:
    """The operator creates an admin (from the command line, never over HTTP)."""
    return await _new_account(accounts, command.login, command.password, "admin")


async def log_in(command: LogIn, accounts: Accounts) -> Session:
    """Checks a login and password under both rate limits and starts a session.

    Both counters are bumped before the password is checked, so concurrent guesses cannot slip
    past a limit; an attempt over a limit never reaches the password check.
    """
    login = normalize_login(command.login)
    limits = accounts.login_limits
    by_address = await accounts.rate_limits.add(limits.attempts_per_address, command.client_address)
    if by_address.over(limits.attempts_per_address):
        log.warning("login_rate_limited", scope=limits.attempts_per_address.scope, client_address=command.client_address)
        raise LoginRateLimited(by_address.retry_after_s)
    # Keyed by the login, not the account, so unknown logins are limited exactly like known ones.
    failures = await accounts.rate_limits.add(limits.failures_per_account, login.value)
    if failures.over(limits.failures_per_account):
        # The login itself stays out of the logs; the address says where the guesses come from.
        log.warning("login_rate_limited", scope=limits.failures_per_account.scope, client_address=command.client_address)
        raise LoginRateLimited(failures.retry_after_s)

    account = await accounts.repository.by_login(login)
    password_matches = await accounts.passwords.verify(account.password_hash if account else None, command.password)
    if account is None or not password_matches:
        raise InvalidCredentials("unknown login or wrong password")
    # Only failures count against an account; this attempt succeeded, so its count is given back.
    await accounts.rate_limits.give_back(limits.failures_per_account, login.value, failures)
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
