"""`ao_dataflow_edges` rows: from the dataflow links of each span, and from content matching."""

from __future__ import annotations

import pyarrow as pa

from ao_collector.model import tables
from ao_collector.model.content_edges import ContentEdge


def link_edges_query(spans: str) -> str:
    """One edge per link with `ao.link.type = "dataflow"` of the decoded spans of table `spans`:
    linked span -> the span, under the span's run (ao_dataflow_edges columns)."""
    return (
        "SELECT RunId, link.trace_id AS SourceTraceId, link.span_id AS SourceSpanId, TraceId AS TargetTraceId, "
        "SpanId AS TargetSpanId, link.via AS Via, link.path AS Path, Timestamp "
        f"FROM {spans} ARRAY JOIN DataflowLinks AS link"
    )


def content_edge_table(edges: list[ContentEdge]) -> pa.Table:
    """Inferred edges (`via = "content"`) as rows."""
    schema = tables.AO_DATAFLOW_EDGES
    rows = [
        (e.run_id, e.source_trace_id, e.source_span_id, e.target_trace_id, e.target_span_id, "content", e.path, e.timestamp)
        for e in edges
    ]
    columns = list(zip(*rows)) if rows else [[] for _ in schema]
    return pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(columns, schema)], schema=schema)
