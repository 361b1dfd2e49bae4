"""How the gateway's errors read as problem documents: one stable slug per error."""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pymongo.errors import PyMongoError

from liveline_shared.problems import Problem, problem_response

from ..adapters.order_service import OrderServiceUnavailable
from ..adapters.passwords import HashingBusy
from ..domain import errors

log = structlog.get_logger(__name__)

_BEARER_INVALID = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
# Answers that say "try again in a second": nothing is wrong with the request.
_TRY_AGAIN = {"Retry-After": "1"}

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
    @app.exception_handler(errors.AccountsError)
    async def _accounts_error(request: Request, error: errors.AccountsError) -> JSONResponse:
        return problem_response(problem_for(error), request.url.path)

    @app.exception_handler(OrderServiceUnavailable)
    async def _upstream_unavailable(request: Request, error: OrderServiceUnavailable) -> JSONResponse:
        # The cause (connection refused, timeout) is in the gateway's log, not in the answer.
        problem = Problem(
            503, "upstream-unavailable", "A service behind the gateway did not answer", "Try again shortly.",
            headers=dict(_TRY_AGAIN),
        )
        return problem_response(problem, request.url.path)

    @app.exception_handler(HashingBusy)
    async def _busy(request: Request, error: HashingBusy) -> JSONResponse:
        problem = Problem(
            503, "busy", "The service is busy", "Too many logins and registrations at once; try again shortly.",
            headers=dict(_TRY_AGAIN),
        )
        return problem_response(problem, request.url.path)

    @app.exception_handler(PyMongoError)
    async def _database_error(request: Request, error: PyMongoError) -> JSONResponse:
        log.warning("database_error", path=request.url.path, error=f"{type(error).__name__}: {error}")
        problem = Problem(503, "database-unavailable", "The database did not answer in time", headers=dict(_TRY_AGAIN))
        return problem_response(problem, request.url.path)
