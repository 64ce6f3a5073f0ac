"""The operations endpoints on the API port: `/livez`, `/readyz` (200, or 503 with the failed checks) and
`/metrics` (Prometheus text format). Like `/healthz` they need no token: they carry counts and states,
never span content, and probes and scrapers reach them without credentials."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ao_collector.ops.metrics import CONTENT_TYPE_LATEST, CollectorMetrics
from ao_collector.ops.probes import ProbeResult, Probes


def _answer(result: ProbeResult, name: str) -> JSONResponse:
    return JSONResponse(result.body(name), status_code=200 if result.ok else 503)


def ops_router(probes: Probes, metrics: CollectorMetrics) -> APIRouter:
    """The router to include in the API application."""
    router = APIRouter(tags=["operations"])

    @router.get("/livez", responses={503: {"description": "the writer is stuck"}})
    def livez() -> JSONResponse:
        """Liveness: 200 unless the writer is stuck (a store outage is not a liveness failure)."""
        return _answer(probes.liveness(), "live")

    @router.get("/readyz", responses={503: {"description": "not ready; `checks` says why"}})
    def readyz() -> JSONResponse:
        """Readiness: started, store reachable with the whole schema, spool under 90 % of its bound."""
        return _answer(probes.readiness(), "ready")

    @router.get("/metrics", response_class=Response)
    async def prometheus() -> Response:
        """Prometheus metrics of the receivers, the pipeline, the spool and the store."""
        return Response(await run_in_threadpool(metrics.exposition), media_type=CONTENT_TYPE_LATEST)

    return router
