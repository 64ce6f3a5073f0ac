"""`ao_dataflow_edges` rows: from the dataflow links of each span, and from content matching."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ao_collector.model import tables
from ao_collector.model.content_edges import ContentEdge


def link_edges(spans: pa.RecordBatch, run_ids: pa.Array) -> pa.Table:
    """One edge per link with `ao.link.type = "dataflow"`: linked span → the span, under the span's run."""
    links = spans["DataflowLinks"]
    parents = pc.list_parent_indices(links)
    flat = pc.list_flatten(links)
    return pa.Table.from_arrays(
        [
            run_ids.take(parents),
            flat.field("trace_id"),
            flat.field("span_id"),
            spans["TraceId"].take(parents),
            spans["SpanId"].take(parents),
            flat.field("via"),
            flat.field("path"),
            spans["Timestamp"].take(parents),
        ],
        schema=tables.AO_DATAFLOW_EDGES,
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
