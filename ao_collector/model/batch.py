"""OTLP export requests → `otel_traces` rows, decoded by ClickHouse; ClickHouse derives ao's tables from them.

The embedded store's chDB decodes the protobuf requests once into a temporary table of span rows
(`span_sql`), which is inserted into `otel_traces`: the rows never leave ClickHouse (a ClickHouse server
decodes the requests itself, `span_sql.insert_query`). The materialized views of the schema (`schema/0008_views.sql`) compute
`ao_llm_calls`, `ao_dataflow_edges`, `ao_runs` and `ao_content_pending` from the inserted rows, the same way
for rows written by the OpenTelemetry Collector's ClickHouse exporter. What SQL cannot do, content matching
for calls of other instrumentations, runs afterwards over the new rows (`pipeline.content_matching`).
"""

from __future__ import annotations

import os
import uuid
from typing import Protocol, Sequence

import pyarrow as pa
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ao_collector.model import tables
from ao_collector.model.otlp_proto import length_delimited, proto_file
from ao_collector.model.span_sql import decode_query


class StagingEngine(Protocol):
    """What writing a batch needs of a store: a ClickHouse engine that holds the stage (a temporary table of
    one session), and inserts into the store's tables."""

    def execute(self, sql: str) -> None:
        """Run a statement on the staging engine."""

    def arrow(self, sql: str) -> pa.Table:
        """A query's result on the staging engine, as Arrow."""

    def insert_select(self, table: str, columns: Sequence[str], select: str, token: str) -> None:
        """Insert the rows of `select` (run on the staging engine; its columns named `columns`) into `table`,
        deduplicated by `token` in the table and in the views that depend on it."""


def serialized(requests: Sequence[ExportTraceServiceRequest | bytes]) -> list[bytes]:
    """Each request as protobuf bytes (bytes are taken as they are)."""
    return [r if isinstance(r, (bytes, bytearray, memoryview)) else r.SerializeToString() for r in requests]


def write_batch(engine: StagingEngine, requests: Sequence[ExportTraceServiceRequest | bytes], token: str,
                scratch_dir: str) -> int:
    """Insert all spans of `requests` (messages or serialized bytes) into `otel_traces` in one insert named by
    `token`, so that the same batch written again leaves one copy (there and in the views' tables); returns
    the number of spans. `scratch_dir` holds the request bytes while ClickHouse reads them."""
    stage = uuid.uuid4().hex
    spans = f"ao_spans_{stage}"
    path = os.path.join(scratch_dir, f"{stage}.otlp")
    with open(path, "wb") as file:
        file.write(length_delimited(serialized(requests)))
    try:
        engine.execute(f"CREATE TEMPORARY TABLE {spans} ENGINE = Memory AS {decode_query(path, proto_file())}")
    finally:
        os.unlink(path)
    try:
        count = engine.arrow(f"SELECT count() AS spans FROM {spans}")["spans"][0].as_py()
        if count:
            names = tables.OTEL_TRACES.names
            engine.insert_select("otel_traces", names, f"SELECT {', '.join(f'`{n}`' for n in names)} FROM {spans}", token)
        return count
    finally:
        engine.execute(f"DROP TEMPORARY TABLE IF EXISTS {spans}")
