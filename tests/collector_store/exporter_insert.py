"""The insert of the OpenTelemetry Collector's ClickHouse exporter, replayed: export requests → the statement it
sends for them.

Pinned to opentelemetry-collector-contrib commit 61540ced55e993255df9bcfca48ed89a87d3914f:
`exporter/clickhouseexporter/internal/sqltemplates/traces_insert.sql` (an `INSERT INTO "db"."table"` of the 22
columns below, in this order, one row per span) and `exporter_traces.go` (how each value is made from pdata).
The driver sends the rows as native column blocks; here they are SQL literals of the same values:

- ids as lowercase hex ('' for an empty id), trace state as sent, kind and status code by their pdata names;
- the service name from the resource's `service.name`;
- attributes through pdata's `Value.AsString`: strings as they are, booleans `true`/`false`, integers in
  decimal, doubles in the shortest decimal form, bytes in base64, arrays and maps as Go's `json.Marshal` writes
  them (no spaces, map keys sorted, `<`, `>`, `&` escaped);
- timestamps in nanoseconds, duration as end minus start.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any, Iterator

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

PINNED_COMMIT = "61540ced55e993255df9bcfca48ed89a87d3914f"
COLUMNS = (
    "Timestamp", "TraceId", "SpanId", "ParentSpanId", "TraceState", "SpanName", "SpanKind", "ServiceName",
    "ResourceAttributes", "ScopeName", "ScopeVersion", "SpanAttributes", "Duration", "StatusCode", "StatusMessage",
    "Events.Timestamp", "Events.Name", "Events.Attributes", "Links.TraceId", "Links.SpanId", "Links.TraceState",
    "Links.Attributes",
)
_KINDS = ("Unspecified", "Internal", "Server", "Client", "Producer", "Consumer")
_STATUS = ("Unset", "Ok", "Error")


def insert_statement(database: str, table: str, requests: list[ExportTraceServiceRequest]) -> str:
    """The exporter's insert of every span of `requests`, with the rows as literals."""
    rows = ",\n".join(f"({', '.join(row)})" for row in _rows(requests))
    return f'INSERT INTO "{database}"."{table}" ({", ".join(COLUMNS)}) VALUES\n{rows}'


def _rows(requests: list[ExportTraceServiceRequest]) -> Iterator[list[str]]:
    for request in requests:
        for resource_spans in request.resource_spans:
            resource = _attribute_map(resource_spans.resource.attributes)
            service = _as_string(next((a.value for a in resource_spans.resource.attributes if a.key == "service.name"),
                                      AnyValue()))
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    yield [
                        _time(span.start_time_unix_nano), _text(span.trace_id.hex()), _text(span.span_id.hex()),
                        _text(span.parent_span_id.hex()), _text(span.trace_state), _text(span.name),
                        _text(_KINDS[span.kind]), _text(service), resource, _text(scope_spans.scope.name),
                        _text(scope_spans.scope.version), _attribute_map(span.attributes),
                        str((span.end_time_unix_nano - span.start_time_unix_nano) % 2**64),
                        _text(_STATUS[span.status.code]), _text(span.status.message),
                        _array(_time(e.time_unix_nano) for e in span.events), _array(_text(e.name) for e in span.events),
                        _array(_attribute_map(e.attributes) for e in span.events),
                        _array(_text(link.trace_id.hex()) for link in span.links),
                        _array(_text(link.span_id.hex()) for link in span.links),
                        _array(_text(link.trace_state) for link in span.links),
                        _array(_attribute_map(link.attributes) for link in span.links),
                    ]


def _as_string(value: AnyValue) -> str:
    """pdata's `Value.AsString`."""
    kind = value.WhichOneof("value")
    if kind in (None, "string_value"):
        return value.string_value
    if kind in ("array_value", "kvlist_value"):
        return _go_json(_raw(value))
    return _scalar_string(value)


def _scalar_string(value: AnyValue) -> str:
    kind = value.WhichOneof("value")
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind == "int_value":
        return str(value.int_value)
    if kind == "double_value":  # Go's strconv.FormatFloat(v, 'f', -1, 64)
        number = value.double_value
        return str(int(number)) if number.is_integer() else format(Decimal(repr(number)), "f")
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return value.string_value


def _raw(value: AnyValue) -> Any:
    """pdata's `Value.AsRaw`."""
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_raw(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {item.key: _raw(item.value) for item in value.kvlist_value.values}
    if kind == "bool_value":
        return value.bool_value
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        return value.double_value
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return value.string_value


def _go_json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _attribute_map(attributes: list[KeyValue]) -> str:
    return "{" + ", ".join(f"{_text(a.key)}: {_text(_as_string(a.value))}" for a in attributes) + "}"


def _time(nanoseconds: int) -> str:
    return f"fromUnixTimestamp64Nano(toInt64({nanoseconds}))"


def _text(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _array(items: Iterator[str]) -> str:
    return "[" + ", ".join(items) + "]"
