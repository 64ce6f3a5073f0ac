"""Runs: the list, and one run with its calls and subruns."""

from __future__ import annotations

from typing import Any

from ao_collector.queries.calls import call_summaries
from ao_collector.store.base import Store

# One row per run from the partial rows of ao_runs (see its DDL), with the API's field names.
# Token sums are of the calls whose usage is known (`unknown_usage_calls` counts the others); NULL when none is.
_RUN_FIELDS = """
    RunId AS run_id,
    max(Name) AS name,
    max(ParentRunId) AS parent_run_id,
    max(ReplayOf) AS replay_of,
    max(TraceId) AS trace_id,
    max(RootSpanId) AS root_span_id,
    max(ServiceName) AS service,
    max(CommandArgs) AS command,
    max(Cwd) AS cwd,
    formatDateTime(min(StartTime), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS start_time,
    formatDateTime(max(EndTime), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS end_time,
    (toUnixTimestamp64Nano(max(EndTime)) - toUnixTimestamp64Nano(min(StartTime))) / 1e6 AS duration_ms,
    multiIf(max(RootSpanId) = '', 'running', max(RootStatus) = 'Error', 'error', 'ok') AS status,
    toBool(max(AoRun)) AS ao_run,
    sum(SpanCount) AS span_count,
    sum(CallCount) AS call_count,
    sum(ErrorCount) AS error_count,
    sum(CachedCount) AS cached_count,
    if(sum(CallCount) > 0 AND sum(UnknownUsageCount) >= sum(CallCount), NULL, sum(InputTokens)) AS input_tokens,
    if(sum(CallCount) > 0 AND sum(UnknownUsageCount) >= sum(CallCount), NULL, sum(OutputTokens)) AS output_tokens,
    sum(UnknownUsageCount) AS unknown_usage_calls,
    if(sum(CallCount) > sum(UnpricedCount), sum(CostUsd), NULL) AS cost_usd,
    sum(UnpricedCount) AS unpriced_calls"""


def list_runs(store: Store, limit: int = 50, offset: int = 0, parent_run_id: str | None = None) -> list[dict[str, Any]]:
    """Runs, newest first: ao runs, and traces of other instrumentations that made LLM calls.
    With `parent_run_id`, only the subruns of that run."""
    having = "(max(AoRun) = 1 OR sum(CallCount) > 0)"
    parameters: dict[str, Any] = {"limit": limit, "offset": offset}
    if parent_run_id is not None:
        having += " AND max(ParentRunId) = {parent:String}"
        parameters["parent"] = parent_run_id
    return store.query(
        f"SELECT {_RUN_FIELDS} FROM {store.database}.ao_runs GROUP BY RunId HAVING {having} "
        "ORDER BY min(StartTime) DESC, RunId LIMIT {limit:UInt32} OFFSET {offset:UInt32}",
        parameters,
    )


def get_run(store: Store, run_id: str) -> dict[str, Any] | None:
    """One run with its calls (in start order, content as previews) and its subruns; None when unknown."""
    rows = store.query(
        f"SELECT {_RUN_FIELDS} FROM {store.database}.ao_runs WHERE RunId = {{run:String}} GROUP BY RunId",
        {"run": run_id},
    )
    if not rows:
        return None
    run = rows[0]
    if run["status"] == "error":
        run["failure"] = failure(store, run)
    run["calls"] = call_summaries(store, run_id)
    run["subruns"] = list_runs(store, limit=1000, parent_run_id=run_id)
    return run


# Why a run failed: its root span's status and exit code, and the last exception recorded in its trace.
_ROOT_FAILURE = (
    "SELECT StatusMessage AS message, SpanAttributes['error.type'] AS error_type, "
    "SpanAttributes['process.exit.code'] AS exit_code FROM {db}.otel_traces "
    "WHERE TraceId = {{trace:String}} AND SpanId = {{span:String}} LIMIT 1"
)
_EXCEPTION = (
    "SELECT ex['exception.type'] AS type, ex['exception.message'] AS message, SpanName AS span FROM {db}.otel_traces "
    "ARRAY JOIN `Events.Name` AS event, `Events.Attributes` AS ex "
    "WHERE TraceId = {{trace:String}} AND event = 'exception' ORDER BY Timestamp DESC LIMIT 1"
)


def failure(store: Store, run: dict[str, Any]) -> dict[str, Any]:
    """`{"message", "error_type", "exit_code", "exception"}` of a failed run, as far as its spans tell."""
    found: dict[str, Any] = {"message": None, "error_type": None, "exit_code": None, "exception": None}
    if not run.get("trace_id"):
        return found
    parameters = {"trace": run["trace_id"], "span": run.get("root_span_id") or ""}
    rows = store.query(_ROOT_FAILURE.format(db=store.database), parameters)
    if rows:
        row = rows[0]
        found.update(message=row["message"] or None, error_type=row["error_type"] or None,
                     exit_code=int(row["exit_code"]) if row["exit_code"].lstrip("-").isdigit() else None)
    rows = store.query(_EXCEPTION.format(db=store.database), parameters)
    if rows:
        found["exception"] = rows[0]
    return found
