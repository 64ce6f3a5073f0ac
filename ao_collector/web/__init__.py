"""The web UI on the API port: `GET /` is the page, `/ui/...` its static files (scripts, styles, and the
vendored graph library, so that it works offline). The page reads and edits through the API.

Neither needs a token (they hold no data: the page asks for the token and sends it with every API request),
and neither is in the OpenAPI document. `/ui` is a mount of its own, not `/`, which would shadow the routes
added after it (the ops probes)."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).with_name("static")

# Scripts only from the collector, API requests only to it; no frames, plugins or <base> rewrites.
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'")
_HEADERS = {"Content-Security-Policy": _CSP, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}

# ES modules must be served as JavaScript; not every platform's MIME table knows `.mjs`.
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/javascript", ".mjs")


class _Static(StaticFiles):
    """Static files with the page's headers (revalidated, so that an upgraded collector is seen at once)."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.update(_HEADERS)
        return response


def mount_ui(app: FastAPI) -> None:
    """Serve the UI from `app`, outside its OpenAPI document (the API's own routes stay as they are)."""

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8", headers=_HEADERS)

    app.mount("/ui", _Static(directory=STATIC), name="ui")
