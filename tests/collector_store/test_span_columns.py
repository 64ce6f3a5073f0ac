"""The columns ao derives from a span read the otel_traces columns alone: computed over the stored rows (as
the OpenTelemetry Collector's exporter would have written them), they equal what the write path derived."""

from __future__ import annotations

import uuid

from span_builders import MS, T0, Link, ao_call, request, span, span_id, trace_id

from ao_collector.model.span_columns import with_derived
from ao_collector.store import ChdbStore

DERIVED = ("RunId", "AoRun", "toUnixTimestamp64Nano(EndTime) AS End", "ResponseFinishReasons", "TaintOrigins",
           "DataflowLinks")


def test_derived_columns_over_stored_rows_equal_the_written_tables(store: ChdbStore) -> None:
    run, trace, other_trace = uuid.uuid4().hex, trace_id(), trace_id()
    a, b, foreign = span_id(), span_id(), span_id()
    store.write([request([
        ao_call(trace, a, run, start=T0),
        ao_call(trace, b, run, start=T0 + 20 * MS, duration_ms=7, links=[Link(trace, a, "taint", "messages[1].content")]),
        span("chat", other_trace, foreign, attrs={"gen_ai.operation.name": "chat",
                                                   "gen_ai.response.finish_reasons": "length"}),
    ])], uuid.uuid4().hex)  # fmt: skip
    rows = {row["SpanId"]: row for row in store.query(
        f"SELECT SpanId, {', '.join(DERIVED)} FROM ({with_derived('ao.otel_traces')}) "
        "WHERE SpanId IN {ids:Array(String)}", {"ids": [a.hex(), b.hex(), foreign.hex()]})}
    assert (rows[b.hex()]["RunId"], rows[b.hex()]["AoRun"]) == (run, True)
    assert (rows[foreign.hex()]["RunId"], rows[foreign.hex()]["AoRun"]) == (other_trace.hex(), False)
    assert rows[b.hex()]["End"] == T0 + 27 * MS
    # an array attribute (JSON text in the map) and a single string
    assert rows[b.hex()]["ResponseFinishReasons"] == ["stop"] and rows[foreign.hex()]["ResponseFinishReasons"] == ["length"]
    calls = {row["SpanId"]: row for row in store.query(
        "SELECT SpanId, FinishReasons, TaintOrigins FROM ao.ao_llm_calls WHERE RunId = {r:String}", {"r": run})}
    assert rows[b.hex()]["TaintOrigins"] == calls[b.hex()]["TaintOrigins"] == [a.hex()]
    assert rows[a.hex()]["TaintOrigins"] == [] and rows[a.hex()]["DataflowLinks"] == []
    edges = store.query("SELECT SourceTraceId, SourceSpanId, Via, Path FROM ao.ao_dataflow_edges "
                        "WHERE RunId = {r:String}", {"r": run})
    assert [tuple(link.values()) if isinstance(link, dict) else tuple(link) for link in rows[b.hex()]["DataflowLinks"]] == [
        (edge["SourceTraceId"], edge["SourceSpanId"], edge["Via"], edge["Path"]) for edge in edges
    ] == [(trace.hex(), a.hex(), "taint", "messages[1].content")]
