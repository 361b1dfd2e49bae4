"""What the gateway serves to browsers besides the API: the web client at `/` and the API's
own pages (`/docs`), both from files on this machine, so they work with no outside network.

Swagger UI's JavaScript and CSS come from the `swagger-ui-bundle-v2` package (PyPI), not from a
CDN nor from files copied into the repository. The web client is the static folder beside this
module (no build step); the paths of its screens all answer its one page, so a link from a push
(`/orders/{id}/video`) opens the right screen.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

STATIC = Path(__file__).parent / "static"
SWAGGER_PREFIX = "/docs-assets"
APP_PREFIX = "/app"
# The client's screens (see static/app.js, `routes`): each answers index.html.
SCREENS = ("/", "/login", "/inbox", "/orders", "/orders/{rest:path}", "/deals/{rest:path}", "/staff", "/admin")
# Fresh copies while the service worker decides what to keep (it fetches the shell network-first).
NO_CACHE = {"Cache-Control": "no-cache"}


def install_web(app: FastAPI) -> None:
    """Mounts the offline /docs and the web client on the app (built with docs_url=None)."""
    app.mount(SWAGGER_PREFIX, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")
    app.mount(APP_PREFIX, StaticFiles(directory=str(STATIC)), name="web-client")

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=f"{SWAGGER_PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_PREFIX}/favicon-32x32.png",
            # No badge from the public validator service.
            swagger_ui_parameters={"validatorUrl": None},
        )

    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers=NO_CACHE)

    async def service_worker() -> FileResponse:
        # Served from the root so that it may control every screen.
        return FileResponse(STATIC / "sw.js", media_type="text/javascript", headers=NO_CACHE)

    async def manifest() -> FileResponse:
        return FileResponse(STATIC / "manifest.webmanifest", media_type="application/manifest+json")

    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)
    app.add_api_route("/sw.js", service_worker, methods=["GET"], include_in_schema=False)
    app.add_api_route("/manifest.webmanifest", manifest, methods=["GET"], include_in_schema=False)
    for path in SCREENS:
        app.add_api_route(path, index, methods=["GET"], include_in_schema=False, name=f"web:{path}")
