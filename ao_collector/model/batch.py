"""OTLP export requests → the rows of every table, computed in columns.

ClickHouse decodes the protobuf requests into span rows (`span_sql`); the rows of `ao_llm_calls`,
`ao_dataflow_edges` and `ao_runs` are derived from those columns with Arrow compute, touching single
spans from Python only where a convention needs it (indexed content, the roots of runs).

The run of a span is its `ao.run.id`; a span without one (another instrumentation, outside ao) belongs
to the "run" of its trace, keyed by its TraceId, so its calls and edges are queryable the same way.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from typing import Callable, Sequence

import pyarrow as pa
import pyarrow.compute as pc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ao_collector.model import tables
from ao_collector.model.attribute_columns import attribute_columns, first_of
from ao_collector.model.content_edges import CallText, ContentEdge
from ao_collector.model.edges import content_edge_table, link_edges
from ao_collector.model.llm_calls import CALL_ATTRIBUTES, call_table
from ao_collector.model.otlp_proto import length_delimited, proto_file
from ao_collector.model.runs import RUN_ATTRIBUTES, run_table
from ao_collector.model.span_sql import decode_query
from ao_collector.pricing import PriceTable, default_prices

# Runs a ClickHouse query, returning its result as an Arrow table.
ArrowQuery = Callable[[str], pa.Table]
ATTRIBUTES = tuple(dict.fromkeys((*CALL_ATTRIBUTES, *RUN_ATTRIBUTES)))
OTEL_TRACES_COLUMNS = tables.OTEL_TRACES.names


@dataclass
class SpanBatch:
    """Rows of one write, per table, plus what content matching needs."""

    span_count: int
    traces: pa.Table
    calls: pa.Table
    runs: pa.Table
    edges: pa.Table
    # Calls of other instrumentations with input content and no dataflow links: targets of content matching.
    content_targets: list[CallText] = field(default_factory=list)
    # Calls of the batch with output, in the traces of the targets: candidate sources.
    content_sources: list[CallText] = field(default_factory=list)

    def add_content_edges(self, edges: list[ContentEdge]) -> None:
        """Adds inferred edges (`via = "content"`)."""
        if edges:
            self.edges = pa.concat_tables([self.edges, content_edge_table(edges)])


def serialized(requests: Sequence[ExportTraceServiceRequest | bytes]) -> list[bytes]:
    """Each request as protobuf bytes (bytes are taken as they are)."""
    return [r if isinstance(r, (bytes, bytearray, memoryview)) else r.SerializeToString() for r in requests]


def build_batch(
    query: ArrowQuery,
    requests: Sequence[ExportTraceServiceRequest | bytes],
    scratch_dir: str,
    prices: PriceTable | None = None,
) -> SpanBatch:
    """The rows of every table for all spans of `requests` (messages or their serialized bytes).

    `query` runs the decode query (any chDB session can); `scratch_dir` holds the request bytes meanwhile.
    """
    path = os.path.join(scratch_dir, f"{uuid.uuid4().hex}.otlp")
    with open(path, "wb") as file:
        file.write(length_delimited(serialized(requests)))
    try:
        spans = query(decode_query(path, proto_file()))
    finally:
        os.unlink(path)
    if spans.num_rows == 0:
        return SpanBatch(0, tables.OTEL_TRACES.empty_table(), tables.AO_LLM_CALLS.empty_table(),
                         tables.AO_RUNS.empty_table(), tables.AO_DATAFLOW_EDGES.empty_table())
    spans = spans.combine_chunks().to_batches()[0]
    attrs = attribute_columns(spans["SpanAttributes"], ATTRIBUTES)
    run_ids = first_of(attrs["ao.run.id"], spans["TraceId"])
    calls = call_table(spans, attrs, run_ids, prices or default_prices())
    edges = link_edges(spans, run_ids)
    batch = SpanBatch(
        span_count=spans.num_rows,
        traces=pa.Table.from_batches([spans.select(OTEL_TRACES_COLUMNS)]),
        calls=calls,
        runs=run_table(spans, attrs, run_ids, calls),
        edges=edges,
    )
    _content_candidates(batch, edges)
    return batch


def _content_candidates(batch: SpanBatch, edges: pa.Table) -> None:
    """Fills the batch's content-matching targets and in-batch sources."""
    calls = batch.calls
    foreign = pc.and_(pc.not_equal(calls["Source"], "ao"), pc.not_equal(calls["InputMessages"], ""))
    if not pc.any(foreign).as_py():
        return
    linked = pc.is_in(calls["SpanId"], value_set=edges["TargetSpanId"].combine_chunks())
    targets = calls.filter(pc.and_(foreign, pc.invert(linked)))
    if targets.num_rows == 0:
        return
    in_traces = pc.and_(
        pc.is_in(calls["TraceId"], value_set=targets["TraceId"].combine_chunks()), pc.not_equal(calls["OutputMessages"], "")
    )
    batch.content_targets = _call_texts(targets)
    batch.content_sources = _call_texts(calls.filter(in_traces))


def _call_texts(calls: pa.Table) -> list[CallText]:
    starts = calls["Timestamp"].cast(pa.int64()).to_pylist()
    durations = calls["Duration"].to_pylist()
    return [
        CallText(run_id, trace_id, span_id, start, start + duration, input_messages, output_messages)
        for run_id, trace_id, span_id, start, duration, input_messages, output_messages in zip(
            calls["RunId"].to_pylist(), calls["TraceId"].to_pylist(), calls["SpanId"].to_pylist(), starts, durations,
            calls["InputMessages"].to_pylist(), calls["OutputMessages"].to_pylist(),
        )
    ]
