"""What the gateway's OpenAPI document says beyond what FastAPI writes from the routes.

- Every answer of 400 or more is a problem document (`application/problem+json`), FastAPI's own
  422 included, which it would otherwise describe as its `HTTPValidationError` JSON.
- The answers every route of a kind may give are added to each operation, so a new route
  cannot forget them: 400 (unreadable body) and 413 for routes with a body, 422 for routes with
  input, 401 for routes that read a token, and 500 and 503 for all (503 with `Retry-After`).
- Routes that anyone may call document their token as optional.
- Links say which operation a client can call next with what an answer gave it: reading and
  changing the merchant, deal or order it just created. Clients generated from the document, and
  schemathesis' stateful tests, follow them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from liveline_shared.problems import CORRELATION_ID_HEADER, PROBLEM_JSON

from .deps import BEARER, OPTIONAL_BEARER

_HEADERS: dict[str, dict[str, Any]] = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    CORRELATION_ID_HEADER: {
        "description": "The request's id in the logs; quote it when reporting a problem",
        "required": True,
        "schema": {"type": "string"},
    },
}
_RETRY_AFTER_STATUSES = ("429", "503")


def _link(operation_id: str, description: str, **parameters: str) -> dict[str, Any]:
    return {"operationId": operation_id, "description": description, "parameters": parameters}


def _link_with_body(operation_id: str, description: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"operationId": operation_id, "description": description, "requestBody": body}


_MERCHANT_ID = "$response.body#/merchant_id"
_DEAL_ID = "$response.body#/deal_id"
_ORDER_ID = "$response.body#/order_id"
_REFRESH_TOKEN = {"refresh_token": "$response.body#/refresh_token"}

# (operationId, status) -> that answer's links, by name.
LINKS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("create_merchant", "201"): {
        "GetMerchant": _link("get_merchant", "Read the merchant", merchant_id=_MERCHANT_ID),
        "CreateDeal": _link("create_deal", "Draft a deal for the merchant", merchant_id=_MERCHANT_ID),
        "CreateStaff": _link("create_staff", "Give the merchant a staff account", merchant_id=_MERCHANT_ID),
        "ListMerchantDeals": _link("list_deals", "The merchant's deals", merchant_id=_MERCHANT_ID),
    },
    ("create_deal", "201"): {
        "GetDeal": _link("get_deal", "Read the draft", deal_id=_DEAL_ID),
        "ChangeDeal": _link("change_deal", "Edit the draft or put it on sale", deal_id=_DEAL_ID),
    },
    ("change_deal", "200"): {
        "GetDeal": _link("get_deal", "Read the deal", deal_id=_DEAL_ID),
        "ChangeDealAgain": _link("change_deal", "Change the deal again", deal_id=_DEAL_ID),
        "PlaceOrder": _link_with_body("place_order", "Buy the deal", {"deal_id": _DEAL_ID}),
    },
    ("list_deals", "200"): {
        "GetFirstDeal": _link("get_deal", "Read the first deal listed", deal_id="$response.body#/items/0/deal_id"),
        "BuyFirstDeal": _link_with_body(
            "place_order", "Buy the first deal listed", {"deal_id": "$response.body#/items/0/deal_id"}
        ),
    },
    ("get_deal", "200"): {
        "PlaceOrder": _link_with_body("place_order", "Buy the deal", {"deal_id": _DEAL_ID}),
    },
    ("place_order", "201"): {
        "GetOrder": _link("get_order", "Read the order", order_id=_ORDER_ID),
        "RefundOrder": _link("refund_order", "Refund the order", order_id=_ORDER_ID),
        "RedeemVoucher": _link_with_body(
            "redeem", "Redeem the order's voucher (its merchant's staff)", {"code": "$response.body#/voucher/code"}
        ),
        "JoinQueue": _link("join_queue", "Join the merchant's waitlist with the order's party (near a chosen slot)",
                           order_id=_ORDER_ID),
    },
    ("join_queue", "201"): {
        "GetQueueTicket": _link("get_queue_ticket", "Where the ticket stands", order_id=_ORDER_ID),
        "CancelQueueTicket": _link("cancel_queue_ticket", "Leave the waitlist", order_id=_ORDER_ID),
    },
    ("list_orders", "200"): {
        "GetFirstOrder": _link("get_order", "Read the first order listed", order_id="$response.body#/items/0/order_id"),
    },
    ("refund_order", "200"): {
        "GetOrder": _link("get_order", "Read the refunded order", order_id=_ORDER_ID),
    },
    ("log_in", "201"): {
        "Refresh": _link_with_body("refresh", "Exchange the refresh token", _REFRESH_TOKEN),
        "LogOut": _link_with_body("log_out", "End the session", _REFRESH_TOKEN),
    },
    ("refresh", "200"): {
        "RefreshAgain": _link_with_body("refresh", "Exchange the new refresh token", _REFRESH_TOKEN),
        "LogOut": _link_with_body("log_out", "End the session", _REFRESH_TOKEN),
    },
}


def _implied_statuses(operation: dict[str, Any]) -> list[str]:
    implied = ["500", "503"]
    if operation.get("parameters") or "requestBody" in operation:
        implied.append("422")
    if "requestBody" in operation:
        implied += ["400", "413"]
    if operation.get("security"):
        implied.append("401")
    return implied


def _describe_problems(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status in _implied_statuses(operation):
        responses.setdefault(status, {"description": "A problem document"})
    for status, response in responses.items():
        if not (status.isdigit() and int(status) >= 400):
            continue
        response["content"] = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}}
        response.setdefault("description", "A problem document")
        names = [CORRELATION_ID_HEADER] + (["Retry-After"] if status in _RETRY_AFTER_STATUSES else [])
        response["headers"] = {name: _HEADERS[name] for name in names}


def _document_optional_token(operation: dict[str, Any]) -> None:
    # `{}` among the requirements: the operation may be called without any.
    if operation.get("security") == [{OPTIONAL_BEARER: []}]:
        operation["security"] = [{}, {BEARER: []}]


def _add_links(document: dict[str, Any], operations: dict[str, dict[str, Any]]) -> None:
    for (operation_id, status), links in LINKS.items():
        targets = {link["operationId"] for link in links.values()}
        unknown = sorted(({operation_id} | targets) - set(operations))
        if unknown:
            raise RuntimeError(f"OpenAPI links name operations that do not exist: {unknown}")
        operations[operation_id]["responses"][status]["links"] = links


def customize_openapi(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        operations = {
            operation["operationId"]: operation
            for path in document.get("paths", {}).values()
            for operation in path.values()
        }
        for operation in operations.values():
            _document_optional_token(operation)
            _describe_problems(operation)
        _add_links(document, operations)
        components = document.get("components", {})
        components.get("securitySchemes", {}).pop(OPTIONAL_BEARER, None)
        for unused in ("HTTPValidationError", "ValidationError"):
            components.get("schemas", {}).pop(unused, None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
