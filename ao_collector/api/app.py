"""The collector's read API (contract C7) and health endpoint, as a FastAPI application."""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from ao_collector import queries
from ao_collector.api.edits_routes import ERRORS, edits_router, resolve_run, resolve_span, with_running
from ao_collector.auth import bearer_ok
from ao_collector.replay.runner import ReplayRunner
from ao_collector.store.base import Store, StoreUnavailable
from ao_collector.web import mount_ui


def _auth(token: str | None) -> Callable[[Request], None]:
    def check(request: Request) -> None:
        if not bearer_ok(request.headers.get("authorization"), token):
            raise HTTPException(401, "missing or wrong bearer token (AO_API_TOKEN)", {"WWW-Authenticate": "Bearer"})

    return check


class _Json(Response):
    """JSON encoded straight by `json.dumps`: graphs of thousands of calls skip FastAPI's per-value encoder."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":"), default=str).encode("ascii")


def create_app(store: Store, health: Callable[[], dict[str, Any]], token: str | None = None,
               replays: ReplayRunner | None = None) -> FastAPI:
    """The API over `store`; `health()` describes the running service for `/healthz`; `replays` starts and
    tracks replays (`POST /api/v1/runs/{run_id}/replay`). The web UI is served at `/`."""
    app = FastAPI(
        title="ao collector API",
        version="1",
        description="Runs, LLM calls and their dataflow graph, from the collector's ClickHouse store.",
    )

    @app.exception_handler(StoreUnavailable)
    async def store_down(_request: Request, exc: StoreUnavailable) -> JSONResponse:
        return JSONResponse({"detail": f"store unavailable: {exc}"}, status_code=503, headers={"Retry-After": "5"})

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, Any]:
        """Liveness and a summary: ports, store reachability, pipeline counters (no token needed)."""
        return health()

    api = Depends(_auth(token))

    # Handlers return the encoded response themselves (no per-value pass); `response_model` documents it.
    @app.get("/api/v1/runs", tags=["runs"], dependencies=[api], responses=ERRORS, response_model=list[dict[str, Any]])
    def runs(limit: int = Query(100, ge=1, le=10_000)) -> Response:
        """The latest runs, newest first."""
        return _Json(with_running(queries.list_runs(store, limit=limit), replays))

    @app.get("/api/v1/runs/{run_id}", tags=["runs"], dependencies=[api], responses=ERRORS, response_model=dict[str, Any])
    def run(run_id: str) -> Response:
        """One run with its calls."""
        found = queries.get_run(store, resolve_run(store, run_id))
        if found is None:
            raise HTTPException(404, f"no run {run_id!r}")
        return _Json(found)

    @app.get("/api/v1/runs/{run_id}/graph", tags=["runs"], dependencies=[api], responses=ERRORS, response_model=dict[str, Any])
    def graph(run_id: str) -> Response:
        """The run's dataflow graph: LLM calls as nodes, dataflow edges between them.

        The `Server-Timing` header tells the store's share (`store;dur=` milliseconds)."""
        started = time.perf_counter()
        run_id = resolve_run(store, run_id)
        body = queries.run_graph_json(store, run_id)
        if body == queries.EMPTY_GRAPH and queries.get_run(store, run_id) is None:
            raise HTTPException(404, f"no run {run_id!r}")
        elapsed = (time.perf_counter() - started) * 1000
        return Response(body, media_type="application/json", headers={"Server-Timing": f"store;dur={elapsed:.1f}"})

    @app.get("/api/v1/calls/{span_id}", tags=["calls"], dependencies=[api], responses=ERRORS, response_model=dict[str, Any])
    def call(span_id: str) -> Response:
        """One LLM call: request, response, usage, cost, its dataflow origins."""
        found = queries.get_call(store, resolve_span(store, span_id))
        if found is None:
            raise HTTPException(404, f"no call with span id {span_id!r}")
        return _Json(found)

    app.include_router(edits_router(store, api, replays))
    mount_ui(app)
    return app
