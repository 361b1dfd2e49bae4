"""How the gateway's domain errors read as problem documents: one stable slug per error."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from liveline_shared.problems import PROBLEM_JSON, Problem, problem_response

from ..adapters.order_service import OrderServiceUnavailable
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
    errors.LoginRateLimited: (429, "rate-limited", "Too many login attempts"),
    errors.InvalidToken: (401, "invalid-token", "The token is not valid"),
    errors.TokenExpired: (401, "token-expired", "The token has expired"),
    errors.RefreshTokenReused: (401, "refresh-token-reused", "The refresh token was already used"),
    errors.AccountNotFound: (401, "account-not-found", "The account of this token no longer exists"),
}


def problem_for(error: errors.AccountsError) -> Problem:
    status, slug, title = next(v for cls, v in _PROBLEMS.items() if isinstance(error, cls))
    headers: dict[str, str] = {}
    extensions: dict[str, object] = {}
    if isinstance(error, errors.LoginRateLimited):
        headers["Retry-After"] = str(error.retry_after_s)
        extensions["retry_after"] = error.retry_after_s
    elif status == 401 and slug != "invalid-credentials":
        headers = dict(_BEARER_INVALID)
    # Credentials failures say nothing more than their title, so the two causes read the same.
    detail = "" if isinstance(error, errors.InvalidCredentials) else str(error)
    return Problem(status, slug, title, detail, headers=headers, **extensions)


def install_accounts_problems(app: FastAPI) -> None:
    @app.exception_handler(errors.AccountsError)
    async def _accounts_error(request: Request, error: errors.AccountsError) -> JSONResponse:
        return problem_response(problem_for(error), request.url.path)

    @app.exception_handler(OrderServiceUnavailable)
    async def _upstream_unavailable(request: Request, error: OrderServiceUnavailable) -> JSONResponse:
        # The cause (connection refused, timeout) is in the gateway's log, not in the answer.
        problem = Problem(
            503, "upstream-unavailable", "A service behind the gateway did not answer",
            "Try again shortly.", headers={"Retry-After": "1"},
        )
        return problem_response(problem, request.url.path)


def describe_problems_in_openapi(app: FastAPI) -> None:
    """Makes the OpenAPI document say what the gateway sends for errors: problem+json only.

    Every answer of 400 or more is a problem document, including FastAPI's own 422, which it
    would otherwise describe as its `HTTPValidationError` JSON. The answers every route of a
    kind may give are added here, so a new route cannot forget them: a body that is not
    readable (400) or too large (413), input that is not valid (422), and a token that is not
    (401).
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        problem = {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                implied = ["422"] if operation.get("parameters") or "requestBody" in operation else []
                if "requestBody" in operation:
                    implied += ["400", "413"]
                if operation.get("security"):
                    implied.append("401")
                for status in implied:
                    responses.setdefault(status, {"description": "A problem document"})
                for status, response in responses.items():
                    if status.isdigit() and int(status) >= 400:
                        response["content"] = {PROBLEM_JSON: problem}
                        response.setdefault("description", "A problem document")
        schemas = document.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
