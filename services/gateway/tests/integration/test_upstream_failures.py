"""When the order service fails, the client still gets a problem document, and the operator can
find the failure in the gateway's log by the correlation id the client was given.

A real gateway process talks to a stand-in order service: a small HTTP server in this test that
answers as a broken service would (a bare 500, an HTML 503 page, a dropped connection), which
the real order service cannot be made to do on purpose.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from liveline_devstack.pytest_plugin import TEST_STATE
from liveline_devstack.services import ServiceProcess
from liveline_shared.problems import PROBLEM_BASE, PROBLEM_JSON
from tests.random_refs import database_name, suffix

FORWARDED = "X-Forwarded-For"


class BrokenOrderService(BaseHTTPRequestHandler):
    """Answers by path: what a crashing service, a proxy in front of it, or a healthy one would."""

    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.seen.append({name.lower(): value for name, value in self.headers.items()})
        if self.path.startswith("/deals/"):
            self._answer(503, "text/html", b"<html><body>502 Bad Gateway</body></html>")
        elif self.path.startswith("/deals"):
            self._answer(500, "text/plain; charset=utf-8", b"Internal Server Error")
        elif self.path.startswith("/orders"):
            # JSON, but no problem document: a 401 the gateway must neither trust nor crash on.
            self._answer(401, "application/json", b"[]")
        elif self.path.startswith("/merchants/"):
            problem = {"type": PROBLEM_BASE + "merchant-not-found", "title": "No such merchant", "status": 404,
                       "instance": self.path}
            self._answer(404, PROBLEM_JSON, json.dumps(problem).encode())
        else:
            self._answer(404, "text/plain", b"no such route")

    def do_POST(self) -> None:  # noqa: N802
        self.seen.append({name.lower(): value for name, value in self.headers.items()})
        # The process dies mid-request: the connection closes with no answer at all.
        self.close_connection = True
        self.connection.close()

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def broken_order_service() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BrokenOrderService)
    thread = threading.Thread(target=server.serve_forever, name="broken-order-service", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def gateway_of_broken(stack_endpoints, broken_order_service) -> Iterator[ServiceProcess]:
    process = ServiceProcess(
        "gateway", stack_endpoints, TEST_STATE / "gateway-upstream-failures", environment="test",
        extra_env={
            "LIVELINE_GATEWAY_ORDER_URL": broken_order_service,
            "LIVELINE_GATEWAY_MONGO_DATABASE": database_name("gateway-upstream"),
        },
    )
    with process.running():
        yield process


@pytest.fixture
def client(gateway_of_broken) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway_of_broken.url, timeout=30, headers={FORWARDED: "10.200.0.1"}) as http:
        yield http


def logged(gateway: ServiceProcess, event: str, correlation_id: str, deadline_s: float = 10) -> dict:
    """The gateway's log line of `event` for this correlation id (the log is written as it happens)."""
    deadline = time.monotonic() + deadline_s
    while True:
        for line in gateway.process.log_path.read_text(errors="replace").splitlines():
            if correlation_id in line and line.startswith("{"):
                entry = json.loads(line)
                if entry.get("event") == event and entry.get("correlation_id") == correlation_id:
                    return entry
        assert time.monotonic() < deadline, f"no {event} line for {correlation_id} in {gateway.process.log_path}"
        time.sleep(0.1)


def assert_bad_gateway_problem(response: httpx.Response, instance: str) -> str:
    assert response.status_code == 502, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["type"] == PROBLEM_BASE + "upstream-error" and body["instance"] == instance
    assert body["correlation_id"] == response.headers["X-Correlation-Id"]
    return body["correlation_id"]


def test_a_bare_500_of_the_order_service_reaches_the_client_as_a_502_problem(client, gateway_of_broken):
    response = client.get("/v1/deals")
    correlation_id = assert_bad_gateway_problem(response, "/v1/deals")
    assert "Internal Server Error" not in response.text
    entry = logged(gateway_of_broken, "upstream_answer_not_a_problem", correlation_id)
    assert entry["upstream_status"] == 500 and entry["upstream_body"] == "Internal Server Error"
    assert entry["level"] == "error" and entry["path"] == "/v1/deals"


def test_an_html_error_page_is_retried_then_answered_as_a_502_problem(client, gateway_of_broken):
    before = len(BrokenOrderService.seen)
    response = client.get(f"/v1/deals/d{suffix()}")
    correlation_id = assert_bad_gateway_problem(response, response.request.url.path)
    # A read is tried three times on a 503; every try carried the same correlation id.
    tries = BrokenOrderService.seen[before:]
    assert [t["x-correlation-id"] for t in tries] == [correlation_id] * 3
    entry = logged(gateway_of_broken, "upstream_answer_not_a_problem", correlation_id)
    assert entry["upstream_status"] == 503 and "<html>" in entry["upstream_body"]


def test_a_client_chosen_correlation_id_is_kept_for_the_whole_request(client, gateway_of_broken):
    chosen = f"support-ticket-{suffix()}"
    response = client.get("/v1/deals", headers={"X-Correlation-Id": chosen})
    assert assert_bad_gateway_problem(response, "/v1/deals") == chosen
    assert BrokenOrderService.seen[-1]["x-correlation-id"] == chosen


def test_an_order_service_that_drops_the_connection_is_a_503_problem_with_a_correlation_id(client, gateway_of_broken):
    customer = {"Authorization": f"Bearer {_customer_token(client)}"}
    response = client.post("/v1/redemptions", json={"code": "123456789012"}, headers=customer)
    assert response.status_code == 503 and response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["type"] == PROBLEM_BASE + "upstream-unavailable" and response.headers["Retry-After"] == "1"
    assert body["correlation_id"] == response.headers["X-Correlation-Id"]
    logged(gateway_of_broken, "upstream_failed", body["correlation_id"])


def test_an_error_in_json_that_is_no_problem_document_is_a_502_problem(client, gateway_of_broken):
    response = client.get("/v1/orders", headers={"Authorization": f"Bearer {_customer_token(client)}"})
    correlation_id = assert_bad_gateway_problem(response, "/v1/orders")
    entry = logged(gateway_of_broken, "upstream_answer_not_a_problem", correlation_id)
    assert (entry["upstream_status"], entry["upstream_body"]) == (401, "[]")


def test_a_relayed_problem_names_the_public_path(client):
    merchant_id = f"m{suffix()}"
    response = client.get(f"/v1/merchants/{merchant_id}")
    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["instance"] == f"/v1/merchants/{merchant_id}"


def _customer_token(client: httpx.Client) -> str:
    login = f"customer-{suffix()}@example.com"
    assert client.post("/v1/accounts", json={"login": login, "password": "correct horse battery"}).status_code == 201
    session = client.post("/v1/sessions", json={"login": login, "password": "correct horse battery"})
    assert session.status_code == 201, session.text
    return session.json()["access_token"]
