"""The gateway's /docs works on a machine with no outside network: Swagger UI's script and style
come from the gateway itself, and the page renders the API's operations."""

from __future__ import annotations

from playwright.sync_api import Browser, expect


def test_the_api_docs_render_every_operation_with_no_request_leaving_the_gateway(services, browser: Browser, artifacts):
    gateway = services["gateway"].url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    try:
        page.goto(f"{gateway}/docs")
        expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
        operations = page.locator(".opblock-summary-path")
        expect(page.locator(".opblock-summary-path[data-path='/v1/orders']").first).to_be_visible()
        # Every operation of the OpenAPI document is on the page.
        document = page.request.get(f"{gateway}/openapi.json").json()
        expected = sum(1 for ops in document["paths"].values() for method in ops if method != "parameters")
        expect(operations).to_have_count(expected)
        expect(page.get_by_role("heading", name="liveline gateway")).to_be_visible()
        page.screenshot(path=str(artifacts / "docs.png"))
    finally:
        context.close()
    outside = [url for url in requested if not url.startswith(gateway + "/") and not url.startswith(("data:", "blob:"))]
    assert requested and outside == [], outside
    assert f"{gateway}/docs-assets/swagger-ui-bundle.js" in requested
