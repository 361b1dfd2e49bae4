"""The web client and /docs as the gateway serves them: every screen's path answers the one
page, every file the page and its service worker name is there, nothing is loaded from outside,
and every sentence the client says exists in both languages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from liveline_gateway.bootstrap import build_app
from liveline_gateway.config import Settings
from liveline_gateway.web import STATIC


@pytest.fixture(scope="module")
def client() -> TestClient:
    # No lifespan: nothing here needs Kafka or the database.
    return TestClient(build_app(Settings()))


def test_docs_load_swagger_ui_from_the_gateway(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/docs-assets/swagger-ui-bundle.js" in page.text and "/docs-assets/swagger-ui.css" in page.text
    assert not re.search(r"(src|href)=['\"]https?://", page.text)
    script = client.get("/docs-assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    assert client.get("/redoc").status_code == 404


@pytest.mark.parametrize("path", ["/", "/login", "/deals/d1", "/orders", "/orders/o1", "/orders/o1/video",
                                  "/orders/o1/slots", "/inbox", "/staff", "/admin"])
def test_every_screen_answers_the_client_page(client, path):
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="/app/app.js"' in page.text


def test_every_file_the_page_and_its_service_worker_name_is_served(client):
    page = client.get("/").text
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and "javascript" in worker.headers["content-type"]
    shell = re.search(r"const SHELL = \[(.*?)\];", worker.text, re.S).group(1)
    named = set(re.findall(r'(?:src|href)="(/[^"]*)"', page)) | set(re.findall(r'"(/[^"]*)"', shell))
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    named |= {icon["src"] for icon in manifest.json()["icons"]}
    for path in named:
        assert client.get(path).status_code == 200, path


def test_no_client_file_loads_anything_from_outside():
    for path in STATIC.iterdir():
        text = path.read_text()
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), path.name


def test_the_web_routes_are_not_in_the_api_document(client):
    assert all(path.startswith("/v1/") or path in ("/healthz", "/readyz", "/metrics")
               for path in client.get("/openapi.json").json()["paths"])


def _keys(block: str) -> set[str]:
    return set(re.findall(r'"([\w.-]+)":\s*"', block))


def test_every_sentence_of_the_client_is_in_english_and_chinese():
    source = (STATIC / "i18n.js").read_text()
    english = _keys(source[source.index("const en = {"):source.index("const zh = {")])
    chinese = _keys(source[source.index("const zh = {"):source.index("const dictionaries")])
    assert english == chinese, (english ^ chinese)
    client_code = "\n".join(path.read_text() for path in STATIC.glob("*.js") if path.name not in ("i18n.js", "qr.js", "sw.js"))
    used = set(re.findall(r'\bt\("([\w.-]+)"', client_code))
    used |= set(re.findall(r'"@?((?:problem|field|period)\.[\w-]+)"', client_code))
    assert used <= english, used - english
