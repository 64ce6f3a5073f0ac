"""Arrow schemas of the rows ao-collector inserts (column names as in the DDL, insert order); the rows of
ao_llm_calls and ao_runs are made by the schema's views."""

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
