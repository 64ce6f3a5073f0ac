"""The cache document of a run (what `ao-instrument --replay` fetches): the run, its recorded LLM calls
with their span attributes as stored, and the active edits."""

from __future__ import annotations

from typing import Any

from ao_collector.queries.edits import get_edits
from ao_collector.queries.runs import get_run
from ao_collector.store.base import Store

# The run's root span: seed and host (its resource's `host.name`, else any span's of the run).
_ROOT = (
    "SELECT SpanAttributes['ao.run.seed'] AS seed, ResourceAttributes['host.name'] AS host "
    "FROM {db}.otel_traces WHERE TraceId = {{trace:String}} AND SpanId = {{span:String}} LIMIT 1"
)
_HOST = (
    "SELECT ResourceAttributes['host.name'] AS host FROM {db}.otel_traces "
    "WHERE TraceId IN {{traces:Array(String)}} AND ResourceAttributes['host.name'] != '' LIMIT 1"
)
_CALLS = (
    "SELECT SpanId AS span_id, TraceId AS trace_id, "
    "formatDateTime(Timestamp, '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS start_time, Provider AS provider, "
    "Operation AS operation, CallKey AS call_key, if(StatusCode = 'Error', 'error', 'ok') AS status "
    "FROM {db}.ao_llm_calls WHERE RunId IN {{runs:Array(String)}} ORDER BY Timestamp, SpanId LIMIT 1 BY SpanId"
)
_ATTRIBUTES = (
    "SELECT SpanId AS span_id, SpanAttributes AS attributes FROM {db}.otel_traces "
    "WHERE TraceId IN {{traces:Array(String)}} AND SpanId IN {{spans:Array(String)}} LIMIT 1 BY SpanId"
)


def run_tree(store: Store, run_id: str) -> list[str]:
    """`run_id` and the ids of its subruns, at any depth."""
    found, frontier = [run_id], [run_id]
    while frontier:
        rows = store.query(
            f"SELECT DISTINCT RunId AS id FROM {store.database}.ao_runs "
            "WHERE ParentRunId IN {parents:Array(String)} AND RunId NOT IN {seen:Array(String)}",
            {"parents": frontier, "seen": found},
        )
        frontier = [row["id"] for row in rows]
        found += frontier
    return found


def run_origin(store: Store, run: dict[str, Any]) -> dict[str, Any]:
    """Seed and host name of a run (from `get_run`), None where not recorded."""
    db = store.database
    seed: int | None = None
    host = ""
    if run.get("trace_id") and run.get("root_span_id"):
        rows = store.query(_ROOT.format(db=db), {"trace": run["trace_id"], "span": run["root_span_id"]})
        if rows:
            text = rows[0]["seed"]
            seed = int(text) if text.isdigit() else None
            host = rows[0]["host"]
    if not host:
        traces = sorted({call["trace_id"] for call in _calls(store, [run["run_id"]])} | {run.get("trace_id") or ""})
        rows = store.query(_HOST.format(db=db), {"traces": traces})
        host = rows[0]["host"] if rows else ""
    return {"seed": seed, "host_name": host or None}


def _calls(store: Store, runs: list[str]) -> list[dict[str, Any]]:
    return store.query(_CALLS.format(db=store.database), {"runs": runs})


def cache_document(store: Store, run_id: str) -> dict[str, Any] | None:
    """`{"run", "calls", "edits"}` of a run (see the API's cache route); None when the run is unknown."""
    run = get_run(store, run_id)
    if run is None:
        return None
    calls = _calls(store, run_tree(store, run_id))
    if calls:
        rows = store.query(
            _ATTRIBUTES.format(db=store.database),
            {"traces": sorted({c["trace_id"] for c in calls}), "spans": [c["span_id"] for c in calls]},
        )
        attributes = {row["span_id"]: dict(row["attributes"]) for row in rows}
        for call in calls:
            call["attributes"] = attributes.get(call["span_id"], {})
    origin = run_origin(store, run)
    return {
        "run": {
            "run_id": run["run_id"],
            "name": run["name"],
            "command_args": list(run["command"] or []),
            "working_directory": run["cwd"],
            "host_name": origin["host_name"],
            "seed": origin["seed"],
            "replay_of": run["replay_of"] or None,
        },
        "calls": calls,
        "edits": [edit for run in run_tree(store, run_id) for edit in get_edits(store, run)],
    }
