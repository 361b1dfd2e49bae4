"""How the gateway's errors read as problem documents: one stable slug per error."""

from __future__ import annotations

from fastapi import FastAPI

from liveline_shared.problems import TRY_AGAIN, Problem, answer_errors

from ..adapters.upstream import UpstreamUnavailable
from ..adapters.passwords import HashingBusy
from ..domain import errors

_BEARER_INVALID = {"WWW-Authenticate": 'Bearer error="invalid_token"'}

# error class -> (status, slug, title); a title never changes for its slug, the detail may.
_PROBLEMS: dict[type[errors.AccountsError], tuple[int, str, str]] = {
    errors.InvalidLogin: (422, "invalid-login", "The login is neither an E.164 phone number nor an e-mail address"),
    errors.WeakPassword: (422, "weak-password", "The password does not meet the password policy"),
    errors.InvalidMerchantId: (422, "invalid-merchant-id", "The merchant id is not well-formed"),
    errors.UnknownMerchant: (404, "merchant-not-found", "No such merchant"),
    errors.LoginTaken: (409, "login-taken", "An account with this login already exists"),
    errors.InvalidCredentials: (401, "invalid-credentials", "Unknown login or wrong password"),
    errors.RateLimited: (429, "rate-limited", "Too many attempts"),
    errors.InvalidToken: (401, "invalid-token", "The token is not valid"),
    errors.TokenExpired: (401, "token-expired", "The token has expired"),
    errors.RefreshTokenReused: (401, "refresh-token-reused", "The refresh token was already used"),
    errors.AccountNotFound: (401, "account-not-found", "The account of this token no longer exists"),
}


def problem_for(error: errors.AccountsError) -> Problem:
    status, slug, title = next(v for cls, v in _PROBLEMS.items() if isinstance(error, cls))
    headers: dict[str, str] = {}
    extensions: dict[str, object] = {}
    if isinstance(error, errors.RateLimited):
        headers["Retry-After"] = str(error.retry_after_s)
        extensions["retry_after"] = error.retry_after_s
    elif status == 401 and slug != "invalid-credentials":
        headers = dict(_BEARER_INVALID)
    # Credentials failures say nothing more than their title, so the two causes read the same.
    detail = "" if isinstance(error, errors.InvalidCredentials) else str(error)
    return Problem(status, slug, title, detail, headers=headers, **extensions)


def install_gateway_problems(app: FastAPI) -> None:
    answer_errors(app, errors.AccountsError, problem_for)
    # The cause (connection refused, timeout) is in the gateway's log, not in the answer.
    answer_errors(app, UpstreamUnavailable, lambda _: Problem(
        503, "upstream-unavailable", "A service behind the gateway did not answer", "Try again shortly.",
        headers=dict(TRY_AGAIN),
    ))
    answer_errors(app, HashingBusy, lambda _: Problem(
        503, "busy", "The service is busy", "Too many logins and registrations at once; try again shortly.",
        headers=dict(TRY_AGAIN),
    ))
