"""Arrow schemas of the rows written to each table (column names as in the DDL, insert order)."""

from __future__ import annotations

import pyarrow as pa

TIMESTAMP = pa.timestamp("ns", tz="UTC")
ATTRIBUTES = pa.map_(pa.string(), pa.string())

OTEL_TRACES = pa.schema(
    [
        ("Timestamp", TIMESTAMP),
        ("TraceId", pa.string()),
        ("SpanId", pa.string()),
        ("ParentSpanId", pa.string()),
        ("TraceState", pa.string()),
        ("SpanName", pa.string()),
        ("SpanKind", pa.string()),
        ("ServiceName", pa.string()),
        ("ResourceAttributes", ATTRIBUTES),
        ("ScopeName", pa.string()),
        ("ScopeVersion", pa.string()),
        ("SpanAttributes", ATTRIBUTES),
        ("Duration", pa.uint64()),
        ("StatusCode", pa.string()),
        ("StatusMessage", pa.string()),
        ("Events.Timestamp", pa.list_(TIMESTAMP)),
        ("Events.Name", pa.list_(pa.string())),
        ("Events.Attributes", pa.list_(ATTRIBUTES)),
        ("Links.TraceId", pa.list_(pa.string())),
        ("Links.SpanId", pa.list_(pa.string())),
        ("Links.TraceState", pa.list_(pa.string())),
        ("Links.Attributes", pa.list_(ATTRIBUTES)),
    ]
)

AO_LLM_CALLS = pa.schema(
    [
        ("RunId", pa.string()),
        ("TraceId", pa.string()),
        ("SpanId", pa.string()),
        ("ParentSpanId", pa.string()),
        ("Timestamp", TIMESTAMP),
        ("Duration", pa.uint64()),
        ("SpanName", pa.string()),
        ("ServiceName", pa.string()),
        ("Source", pa.string()),
        ("Provider", pa.string()),
        ("Operation", pa.string()),
        ("RequestModel", pa.string()),
        ("ResponseModel", pa.string()),
        ("InputTokens", pa.uint64()),
        ("OutputTokens", pa.uint64()),
        ("CacheReadInputTokens", pa.uint64()),
        ("CacheCreationInputTokens", pa.uint64()),
        ("CostUsd", pa.float64()),
        ("CallKey", pa.string()),
        ("Cached", pa.bool_()),
        ("StatusCode", pa.string()),
        ("ErrorType", pa.string()),
        ("FinishReasons", pa.list_(pa.string())),
        ("TaintOrigins", pa.list_(pa.string())),
        ("InputPreview", pa.string()),
        ("OutputPreview", pa.string()),
    ]
)

AO_DATAFLOW_EDGES = pa.schema(
    [
        ("RunId", pa.string()),
        ("SourceTraceId", pa.string()),
        ("SourceSpanId", pa.string()),
        ("TargetTraceId", pa.string()),
        ("TargetSpanId", pa.string()),
        ("Via", pa.string()),
        ("Path", pa.string()),
        ("Timestamp", TIMESTAMP),
    ]
)

AO_RUNS = pa.schema(
    [
        ("RunId", pa.string()),
        ("Name", pa.string()),
        ("ParentRunId", pa.string()),
        ("ReplayOf", pa.string()),
        ("TraceId", pa.string()),
        ("RootSpanId", pa.string()),
        ("ServiceName", pa.string()),
        ("CommandArgs", pa.list_(pa.string())),
        ("Cwd", pa.string()),
        ("StartTime", TIMESTAMP),
        ("EndTime", TIMESTAMP),
        ("RootStatus", pa.string()),
        ("AoRun", pa.uint8()),
        ("SpanCount", pa.uint64()),
        ("CallCount", pa.uint64()),
        ("ErrorCount", pa.uint64()),
        ("CachedCount", pa.uint64()),
        ("InputTokens", pa.uint64()),
        ("OutputTokens", pa.uint64()),
        ("CostUsd", pa.float64()),
        ("UnpricedCount", pa.uint64()),
        ("UnknownUsageCount", pa.uint64()),
    ]
)

AO_EDITS = pa.schema(
    [
        ("RunId", pa.string()),
        ("SpanId", pa.string()),
        ("Kind", pa.string()),
        ("Body", pa.string()),
        ("CreatedAt", pa.timestamp("us", tz="UTC")),
        ("Deleted", pa.uint8()),
    ]
)
