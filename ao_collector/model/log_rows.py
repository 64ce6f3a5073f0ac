"""OTLP log export requests → rows of the exporter's `otel_logs` table, one row per log record (built in
Python and inserted as Arrow, like metrics)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from ao_collector.model.otlp_text import attribute_map, service_name, value_text
from ao_collector.model.tables import ATTRIBUTES, TIMESTAMP

TABLE = "otel_logs"
SCHEMA = pa.schema([
    ("Timestamp", TIMESTAMP), ("TraceId", pa.string()), ("SpanId", pa.string()), ("TraceFlags", pa.uint8()),
    ("SeverityText", pa.string()), ("SeverityNumber", pa.uint8()), ("ServiceName", pa.string()), ("Body", pa.string()),
    ("ResourceSchemaUrl", pa.string()), ("ResourceAttributes", ATTRIBUTES), ("ScopeSchemaUrl", pa.string()),
    ("ScopeName", pa.string()), ("ScopeVersion", pa.string()), ("ScopeAttributes", ATTRIBUTES),
    ("LogAttributes", ATTRIBUTES), ("EventName", pa.string()),
])  # fmt: skip


def log_records(request: ExportLogsServiceRequest) -> int:
    """The number of log records of a request."""
    return sum(len(sl.log_records) for rl in request.resource_logs for sl in rl.scope_logs)


def log_rows(payloads: Sequence[bytes]) -> dict[str, pa.Table]:
    """The `otel_logs` rows of the serialized requests `payloads` (no entry when there are none)."""
    rows: list[dict[str, Any]] = []
    for payload in payloads:
        request = ExportLogsServiceRequest.FromString(payload)
        for rl in request.resource_logs:
            resource = attribute_map(rl.resource.attributes)
            service = service_name(resource)
            for sl in rl.scope_logs:
                scope_attributes = attribute_map(sl.scope.attributes)
                for record in sl.log_records:
                    rows.append({
                        # A record without a time of its own is stored at its observed time.
                        "Timestamp": record.time_unix_nano or record.observed_time_unix_nano,
                        "TraceId": record.trace_id.hex(), "SpanId": record.span_id.hex(),
                        "TraceFlags": record.flags & 0xFF, "SeverityText": record.severity_text,
                        "SeverityNumber": min(record.severity_number, 255), "ServiceName": service,
                        "Body": value_text(record.body), "ResourceSchemaUrl": rl.schema_url,
                        "ResourceAttributes": resource, "ScopeSchemaUrl": sl.schema_url, "ScopeName": sl.scope.name,
                        "ScopeVersion": sl.scope.version, "ScopeAttributes": scope_attributes,
                        "LogAttributes": attribute_map(record.attributes), "EventName": record.event_name,
                    })  # fmt: skip
    return {TABLE: pa.Table.from_pylist(rows, schema=SCHEMA)} if rows else {}
