"""OTLP export requests → `otel_traces` rows, decoded by ClickHouse; ClickHouse derives ao's tables from them.

The embedded store's chDB decodes the protobuf requests (`span_sql`) in the statement that inserts the
span rows into `otel_traces`: the rows never leave ClickHouse (a ClickHouse server decodes the requests
itself, `span_sql.insert_query`). The materialized views of the schema (`schema/0008_views.sql`) compute
`ao_llm_calls`, `ao_dataflow_edges`, `ao_runs` and `ao_content_pending` from the inserted rows, the same way
for rows written by the OpenTelemetry Collector's ClickHouse exporter. What SQL cannot do, content matching
for calls of other instrumentations, runs afterwards over the new rows (`pipeline.content_matching`).
"""

from __future__ import annotations

import os
import uuid
from typing import Protocol, Sequence

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ao_collector.model import tables
from ao_collector.model.otlp_proto import length_delimited, proto_file
from ao_collector.model.span_sql import decode_query


class StagingEngine(Protocol):
    """What writing a batch needs of a store: an `INSERT ... SELECT` run by the ClickHouse engine that reads
    the batch's file."""

    def insert_select(self, table: str, columns: Sequence[str], select: str, token: str) -> None:
        """Insert the rows of `select` (its columns named `columns`) into `table`, deduplicated by `token`
        in the table and in the views that depend on it."""


def serialized(requests: Sequence[ExportTraceServiceRequest | bytes]) -> list[bytes]:
    """Each request as protobuf bytes (bytes are taken as they are)."""
    return [r if isinstance(r, (bytes, bytearray, memoryview)) else r.SerializeToString() for r in requests]


def write_batch(engine: StagingEngine, requests: Sequence[ExportTraceServiceRequest | bytes], token: str,
                scratch_dir: str) -> None:
    """Insert all spans of `requests` (messages or serialized bytes) into `otel_traces` in one insert named by
    `token` (see `write_file`). `scratch_dir` holds the request bytes while ClickHouse reads them."""
    if not requests:
        return
    path = os.path.join(scratch_dir, f"{uuid.uuid4().hex}.otlp")
    with open(path, "wb") as file:
        file.write(length_delimited(serialized(requests)))
    try:
        write_file(engine, path, token)
    finally:
        os.unlink(path)


def write_file(engine: StagingEngine, path: str, token: str) -> None:
    """Insert all spans of the length-delimited requests in the file at `path` into `otel_traces` in one insert
    named by `token`, so that the same batch written again leaves one copy (there and in the views' tables)."""
    names = tables.OTEL_TRACES.names
    columns = ", ".join(f"`{name}`" for name in names)
    engine.insert_select("otel_traces", names, f"SELECT {columns} FROM ({decode_query(path, proto_file())})", token)
