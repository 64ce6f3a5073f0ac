"""LLM calls: the summaries of a run's calls (graph nodes), and one call in full (its content from otel_traces)."""

from __future__ import annotations

import json
from typing import Any

from ao_collector.model.stored_content import CallContent, CallRef, call_contents
from ao_collector.store.base import Store

# A call as a graph node (C7): `id` is the span id; input and output are previews of PREVIEW_CHARS
# characters (the full content is in get_call), which keeps a 10,000-call graph answer small.
PREVIEW_CHARS = 200
NODE_FIELDS = f"""
    SpanId AS id,
    RunId AS run_id,
    SpanName AS name,
    if(ResponseModel != '', ResponseModel, RequestModel) AS model,
    Provider AS provider,
    Operation AS operation,
    Source AS source,
    leftUTF8(InputPreview, {PREVIEW_CHARS}) AS input,
    leftUTF8(OutputPreview, {PREVIEW_CHARS}) AS output,
    Cached AS cached,
    CAST(NULL, 'Nullable(String)') AS edited,
    CAST(NULL, 'Nullable(String)') AS original_span_id,
    InputTokens AS input_tokens,
    OutputTokens AS output_tokens,
    CostUsd AS cost_usd,
    Duration / 1e6 AS duration_ms,
    StatusCode AS status,
    ErrorType AS error_type,
    formatDateTime(Timestamp, '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS start_time"""

# The rest of a call, in get_call.
_DETAIL_FIELDS = """
    TraceId AS trace_id,
    ParentSpanId AS parent_span_id,
    RequestModel AS request_model,
    ResponseModel AS response_model,
    CallKey AS call_key,
    CacheReadInputTokens AS cache_read_input_tokens,
    CacheCreationInputTokens AS cache_creation_input_tokens,
    ServiceName AS service,
    FinishReasons AS finish_reasons,
    TaintOrigins AS taint_origins,
    toUnixTimestamp64Nano(Timestamp) AS start_ns"""


def call_summaries(store: Store, run_id: str) -> list[dict[str, Any]]:
    """The calls of a run as nodes, in start order."""
    return unique_calls(store.query(
        f"SELECT {NODE_FIELDS} FROM {store.database}.ao_llm_calls "
        "WHERE RunId = {run:String} ORDER BY Timestamp, SpanId",
        {"run": run_id},
    ))


def unique_calls(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` with one row per call id (a span sent twice is stored twice until merged; cheaper than FINAL)."""
    seen: set[str] = set()
    unique = []
    for row in rows:
        if row["id"] not in seen:
            seen.add(row["id"])
            unique.append(row)
    return unique


def calls_by_id(store: Store, span_ids: list[str]) -> list[dict[str, Any]]:
    """Calls (as nodes) by span id, in any run."""
    if not span_ids:
        return []
    return store.query(
        f"SELECT {NODE_FIELDS} FROM {store.database}.ao_llm_calls FINAL WHERE SpanId IN {{ids:Array(String)}}",
        {"ids": span_ids},
    )


def get_call(store: Store, span_id: str) -> dict[str, Any] | None:
    """One call in full: node fields, content as parsed JSON (GenAI message shape), finish reasons, taint
    origins, its dataflow edges in and out, and its edits. None when unknown."""
    db = store.database
    rows = store.query(
        f"SELECT {NODE_FIELDS}, {_DETAIL_FIELDS} FROM {db}.ao_llm_calls FINAL WHERE SpanId = {{span:String}} LIMIT 1",
        {"span": span_id},
    )
    if not rows:
        return None
    call = rows[0]
    found = call_contents(store, [CallRef(call["trace_id"], span_id, int(call.pop("start_ns")))])
    content = found.get(span_id) or CallContent("", "", "", "")
    for name, text in content._asdict().items():  # JSON documents, parsed
        call[name] = _parsed(text)
    parameters = {"run": call["run_id"], "span": span_id}
    # An edge stored twice until its parts merge: DISTINCT folds it (cheaper than FINAL).
    call["sources"] = store.query(
        f"SELECT DISTINCT SourceSpanId AS span_id, SourceTraceId AS trace_id, Via AS via, Path AS path "
        f"FROM {db}.ao_dataflow_edges WHERE RunId = {{run:String}} AND TargetSpanId = {{span:String}} "
        "ORDER BY span_id, via, path",
        parameters,
    )
    call["targets"] = store.query(
        f"SELECT DISTINCT TargetSpanId AS span_id, TargetTraceId AS trace_id, RunId AS run_id, Via AS via, Path AS path "
        f"FROM {db}.ao_dataflow_edges WHERE SourceSpanId = {{span:String}} ORDER BY span_id, via, path",
        parameters,
    )
    edits = store.query(
        f"SELECT Kind AS kind, Body AS body FROM {db}.ao_edits FINAL "
        "WHERE RunId = {run:String} AND SpanId = {span:String} AND Deleted = 0",
        parameters,
    )
    call["edits"] = {edit["kind"]: _parsed(edit["body"]) for edit in edits}
    history = store.query(
        "SELECT Kind AS kind, Body AS body, Deleted = 1 AS deleted, "
        "formatDateTime(CreatedAt, '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS created_at "
        f"FROM {db}.ao_edits_history WHERE RunId = {{run:String}} AND SpanId = {{span:String}} ORDER BY CreatedAt",
        parameters,
    )
    call["edit_history"] = [{**edit, "body": _parsed(edit["body"])} for edit in history]
    return call


def _parsed(text: str) -> Any:
    """A JSON column's value parsed; empty as None; text that is not JSON as it is."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
