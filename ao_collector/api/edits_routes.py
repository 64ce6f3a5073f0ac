"""Routes of the edit and replay-cache API: `PUT /api/v1/calls/{span_id}/input|output`,
`GET|DELETE /api/v1/runs/{run_id}/edits`, `GET /api/v1/runs/{run_id}/cache`.

Run and span ids may be unique prefixes; an ambiguous one is a 409 that lists the matches.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request

from ao_collector import queries
from ao_collector.api.edit_bodies import EditRefused, check
from ao_collector.queries import cache, ids, replays
from ao_collector.replay.runner import ReplayRefused, ReplayRunner
from ao_collector.store.base import Store

# The statuses each route can answer besides 200, for the OpenAPI document.
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or wrong bearer token"},
    404: {"description": "unknown run or call"},
    409: {"description": "ambiguous id prefix"},
    503: {"description": "store unavailable"},
}
_EDIT_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    413: {"description": "edit body too large"},
    422: {"description": "bad edit body (the message names the field)"},
    501: {"description": "the provider SDK needed to check the edit is not installed"},
}
MAX_EDIT_BYTES = 4 << 20


def resolve_run(store: Store, text: str) -> str:
    """The run id `text` names, else a 404 or 409 with a message."""
    try:
        found = ids.resolve_run(store, text)
    except ids.AmbiguousId as error:
        raise HTTPException(409, str(error)) from None
    if found is None:
        raise HTTPException(404, f"no run {text!r}")
    return found


def resolve_span(store: Store, text: str) -> str:
    """The call span id `text` names, else a 404 or 409 with a message."""
    try:
        found = ids.resolve_span(store, text)
    except ids.AmbiguousId as error:
        raise HTTPException(409, str(error)) from None
    if found is None:
        raise HTTPException(404, f"no call with span id {text!r}")
    return found


def with_running(runs: list[dict[str, Any]], runner: ReplayRunner | None) -> list[dict[str, Any]]:
    """`runs` with the replays this collector started and that still run marked `running` (first, those
    not stored yet)."""
    running = runner.running() if runner is not None else {}
    if not running:
        return runs
    listed = {run["run_id"] for run in runs}
    for run in runs:
        if run["run_id"] in running:
            run["status"] = "running"
    pending = [{"run_id": new, "replay_of": old, "status": "running"} for new, old in running.items() if new not in listed]
    return pending + runs


def edits_router(store: Store, auth: Any, runner: ReplayRunner | None = None) -> APIRouter:
    """The router over `store`, every route behind `auth`; `runner` starts replays."""
    router = APIRouter(prefix="/api/v1", dependencies=[auth])

    def bounded(request: Request) -> None:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_EDIT_BYTES:
            raise HTTPException(413, f"an edit body is at most {MAX_EDIT_BYTES} bytes, this one is {length}")

    def put(span_id: str, kind: str, body: Any) -> dict[str, Any]:
        span = resolve_span(store, span_id)
        call = queries.get_call(store, span)
        assert call is not None
        try:
            edit = check(body, kind, call["provider"], call["operation"])
        except EditRefused as error:
            raise HTTPException(error.status, str(error)) from None
        queries.put_edit(store, call["run_id"], span, kind, edit)
        stored = [e for e in queries.get_edits(store, call["run_id"]) if e["span_id"] == span and e["kind"] == kind]
        return stored[0] if stored else {"span_id": span, "kind": kind, "body": edit, "created_at": None}

    @router.put("/calls/{span_id}/input", tags=["edits"], responses=_EDIT_ERRORS, dependencies=[Depends(bounded)])
    def put_input(span_id: str, body: Any = Body(..., examples=[{"text": "a new question"}])) -> dict[str, Any]:
        """Edit a call's input: `{"text": ...}` (the last user message's text) or `{"request": {...}}`."""
        return put(span_id, "input", body)

    @router.put("/calls/{span_id}/output", tags=["edits"], responses=_EDIT_ERRORS, dependencies=[Depends(bounded)])
    def put_output(span_id: str, body: Any = Body(..., examples=[{"text": "a new answer"}])) -> dict[str, Any]:
        """Edit a call's output: `{"text": ...}` (the first output message's text) or `{"response": {...}}`."""
        return put(span_id, "output", body)

    @router.get("/runs/{run_id}/edits", tags=["edits"], responses=ERRORS)
    def get_edits(run_id: str) -> dict[str, Any]:
        """The active edits of a run and its subruns (latest per call and kind)."""
        run = resolve_run(store, run_id)
        return {"edits": [e for r in cache.run_tree(store, run) for e in queries.get_edits(store, r)]}

    @router.delete("/runs/{run_id}/edits", tags=["edits"], responses=ERRORS)
    def delete_edits(run_id: str) -> dict[str, int]:
        """Remove every edit of a run and its subruns; `deleted` tells how many were active."""
        run = resolve_run(store, run_id)
        return {"deleted": sum(queries.delete_edits(store, r) for r in cache.run_tree(store, run))}

    @router.get("/runs/{run_id}/cache", tags=["replay"], responses=ERRORS)
    def get_cache(run_id: str) -> dict[str, Any]:
        """What a replay of the run needs: the run, its LLM calls with their stored attributes, active edits."""
        document = cache.cache_document(store, resolve_run(store, run_id))
        if document is None:
            raise HTTPException(404, f"no run {run_id!r}")
        return document

    @router.get("/runs/{run_id}/diff", tags=["replay"], responses=ERRORS)
    def get_diff(run_id: str) -> dict[str, Any]:
        """Per call of a replay: cached, edited, live or new, and whether its output differs from the recorded one."""
        run = queries.get_run(store, resolve_run(store, run_id))
        if run is None:
            raise HTTPException(404, f"no run {run_id!r}")
        return replays.diff(store, run)

    @router.post("/runs/{run_id}/replay", tags=["replay"], status_code=202,
                 responses={**ERRORS, 403: {"description": "replay not allowed here (the message has the command)"}})
    def post_replay(run_id: str) -> dict[str, str]:
        """Re-execute the run's recorded command as a cached replay (`ao-instrument --replay RUN_ID`); only with
        `ao-collector serve --allow-replay`, for runs recorded on this host. Answers the new run's id."""
        run = queries.get_run(store, resolve_run(store, run_id))
        if run is None:
            raise HTTPException(404, f"no run {run_id!r}")
        try:
            if runner is None:
                raise ReplayRefused(f"this collector does not start replays; run `ao-instrument --replay {run['run_id']}`")
            new_id = runner.start(run["run_id"], cache.run_origin(store, run)["host_name"])
        except ReplayRefused as error:
            raise HTTPException(403, str(error)) from None
        return {"run_id": new_id}

    return router
