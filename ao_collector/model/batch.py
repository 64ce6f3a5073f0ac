"""OTLP export requests → the rows of every table, computed by ClickHouse in two stages.

1. ClickHouse decodes the protobuf requests once into a temporary table of span rows (`span_sql`), with the
   columns ao derives from them (`span_columns`).
2. The LLM calls among them go to a second temporary table (`llm_calls.calls_query`).

Then each table is written with `INSERT ... SELECT` from those stages (on the embedded engine the rows never
leave ClickHouse; the server backend ships each SELECT's result as Arrow). Python touches only what needs it:
prices per distinct model, content recorded as indexed attributes, the roots of runs, content matching for
calls of other instrumentations.

The run of a span is its `ao.run.id`; a span without one (another instrumentation, outside ao) belongs
to the "run" of its trace, keyed by its TraceId, so its calls and edges are queryable the same way.
"""

from __future__ import annotations

import os
import uuid
from typing import Callable, Protocol, Sequence

import pyarrow as pa
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ao_collector.model import tables
from ao_collector.model.content_edges import CallText, infer_content_edges
from ao_collector.model.edges import content_edge_table, link_edges_query
from ao_collector.model.llm_calls import calls_query, complete_content, cost_expression
from ao_collector.model.otlp_proto import length_delimited, proto_file
from ao_collector.model.runs import run_table, runs_query
from ao_collector.model.span_columns import with_derived
from ao_collector.model.span_sql import decode_query
from ao_collector.pricing import PriceTable, default_prices


class StagingEngine(Protocol):
    """What writing a batch needs of a store: a ClickHouse engine that holds the stages (temporary tables of
    one session), and inserts into the store's tables."""

    def execute(self, sql: str) -> None:
        """Run a statement on the staging engine."""

    def arrow(self, sql: str) -> pa.Table:
        """A query's result on the staging engine, as Arrow."""

    def insert_select(self, table: str, columns: Sequence[str], select: str, token: str) -> None:
        """Insert the rows of `select` (run on the staging engine; its columns named `columns`) into `table`."""

    def insert(self, table: str, rows: pa.Table, token: str | None = None) -> None:
        """Insert Arrow `rows` into `table`."""


# Earlier calls with output of some traces, already in the store: (trace ids, earliest start, span ids to skip).
StoredCalls = Callable[[list[str], int, set[str]], list[CallText]]


def serialized(requests: Sequence[ExportTraceServiceRequest | bytes]) -> list[bytes]:
    """Each request as protobuf bytes (bytes are taken as they are)."""
    return [r if isinstance(r, (bytes, bytearray, memoryview)) else r.SerializeToString() for r in requests]


def write_batch(
    engine: StagingEngine,
    requests: Sequence[ExportTraceServiceRequest | bytes],
    token: str,
    scratch_dir: str,
    stored_calls: StoredCalls,
    prices: PriceTable | None = None,
) -> int:
    """Write all spans of `requests` (messages or serialized bytes) to every table; returns the number of spans.

    Each table gets its rows in one insert named by `token` (rows Python builds in a second one, `token` plus a
    suffix), so that the same batch written again leaves one copy. `scratch_dir` holds the request bytes while
    ClickHouse reads them.
    """
    stage = uuid.uuid4().hex
    spans, calls = f"ao_spans_{stage}", f"ao_calls_{stage}"
    path = os.path.join(scratch_dir, f"{stage}.otlp")
    with open(path, "wb") as file:
        file.write(length_delimited(serialized(requests)))
    try:
        decoded = with_derived(f"({decode_query(path, proto_file())})")
        engine.execute(f"CREATE TEMPORARY TABLE {spans} ENGINE = Memory AS {decoded}")
    finally:
        os.unlink(path)
    try:
        engine.execute(f"CREATE TEMPORARY TABLE {calls} ENGINE = Memory AS {calls_query(spans)}")
        return _write_stages(engine, spans, calls, token, stored_calls, prices or default_prices())
    finally:
        engine.execute(f"DROP TEMPORARY TABLE IF EXISTS {calls}")
        engine.execute(f"DROP TEMPORARY TABLE IF EXISTS {spans}")


def _write_stages(
    engine: StagingEngine, spans: str, calls: str, token: str, stored_calls: StoredCalls, prices: PriceTable
) -> int:
    info = engine.arrow(
        f"SELECT (SELECT count() FROM {spans}) AS spans, (SELECT sum(length(DataflowLinks)) FROM {spans}) AS links, "
        "count() AS calls, countIf(NeedsContent) AS indexed, countIf(Source != 'ao') AS foreign, "
        f"groupUniqArray(PriceModel) AS models FROM {calls}"
    ).to_pylist()[0]
    if not info["spans"]:
        return 0
    cost = cost_expression(prices, info["models"])
    call_columns = ", ".join(f"{cost} AS CostUsd" if name == "CostUsd" else name for name in tables.AO_LLM_CALLS.names)
    # ao's tables first: what the API reads is queryable soonest. A retry after a failure part-way
    # re-inserts every table with the same token; those already written keep one copy.
    if info["calls"] > info["indexed"]:
        engine.insert_select("ao_llm_calls", tables.AO_LLM_CALLS.names,
                             f"SELECT {call_columns} FROM {calls} WHERE NOT NeedsContent", token)
    indexed = None
    if info["indexed"]:
        indexed = complete_content(engine.arrow(
            f"SELECT {call_columns}, InputMessages, OutputMessages, ToolDefinitions, SpanAttributes FROM {calls} AS c "
            f"JOIN (SELECT SpanRow, SpanAttributes FROM {spans}) AS s ON c.SpanRow = s.SpanRow WHERE NeedsContent"
        ))
        rows = indexed.select(tables.AO_LLM_CALLS.names).cast(tables.AO_LLM_CALLS)
        engine.insert("ao_llm_calls", rows, f"{token}.indexed")
    if info["links"]:
        engine.insert_select("ao_dataflow_edges", tables.AO_DATAFLOW_EDGES.names, link_edges_query(spans), token)
    if info["foreign"]:
        content_edges = _content_edges(engine, spans, calls, indexed, stored_calls)
        if content_edges.num_rows:
            engine.insert("ao_dataflow_edges", content_edges, f"{token}.content")
    engine.insert("ao_runs", run_table(engine.arrow(runs_query(spans, calls, cost))), token)
    engine.insert_select("otel_traces", tables.OTEL_TRACES.names,
                         f"SELECT {', '.join(f'`{name}`' for name in tables.OTEL_TRACES.names)} FROM {spans}", token)
    return info["spans"]


def _content_edges(
    engine: StagingEngine, spans: str, calls: str, indexed: pa.Table | None, stored_calls: StoredCalls
) -> pa.Table:
    """Edges inferred by content into the calls of other instrumentations that have input content and no
    dataflow links, from earlier calls of their traces (in this batch or already stored)."""
    rows = engine.arrow(
        "SELECT RunId, TraceId, SpanId, toUnixTimestamp64Nano(Timestamp) AS Start, Duration, Source, "
        f"InputMessages, OutputMessages, SpanId IN (SELECT SpanId FROM {spans} WHERE notEmpty(DataflowLinks)) AS Linked "
        f"FROM {calls} WHERE TraceId IN (SELECT TraceId FROM {calls} WHERE Source != 'ao')"
    )
    content = {}
    if indexed is not None:
        content = dict(zip(indexed["SpanId"].to_pylist(),
                           zip(indexed["InputMessages"].to_pylist(), indexed["OutputMessages"].to_pylist())))
    targets: list[CallText] = []
    sources: list[CallText] = []
    for run_id, trace_id, span_id, start, duration, source, inputs, outputs, linked in zip(
        *(rows[name].to_pylist() for name in rows.column_names)
    ):
        inputs, outputs = content.get(span_id, (inputs, outputs))
        call = CallText(run_id, trace_id, span_id, start, start + duration, inputs, outputs)
        if source != "ao" and inputs and not linked:
            targets.append(call)
        if outputs:
            sources.append(call)
    if not targets:
        return tables.AO_DATAFLOW_EDGES.empty_table()
    target_traces = {target.trace_id for target in targets}
    sources = [source for source in sources if source.trace_id in target_traces]
    earlier = stored_calls(sorted(target_traces), min(target.start for target in targets),
                           {source.span_id for source in sources})
    return content_edge_table(infer_content_edges(targets, [*earlier, *sources]))

