"""`ao_dataflow_edges` rows of content matching (those of span links are made by the schema's view)."""

from __future__ import annotations

import pyarrow as pa

from ao_collector.model import tables
from ao_collector.model.content_edges import ContentEdge


def content_edge_table(edges: list[ContentEdge]) -> pa.Table:
    """Inferred edges (`via = "content"`) as rows."""
    schema = tables.AO_DATAFLOW_EDGES
    rows = [
        (e.run_id, e.source_trace_id, e.source_span_id, e.target_trace_id, e.target_span_id, "content", e.path, e.timestamp)
        for e in edges
    ]
    columns = list(zip(*rows)) if rows else [[] for _ in schema]
    return pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(columns, schema)], schema=schema)
