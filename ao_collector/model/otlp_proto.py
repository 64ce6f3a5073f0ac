"""The OTLP trace request as ClickHouse reads it: a reduced protobuf schema (same field numbers as
opentelemetry-proto) and the matching column structure for the `Protobuf` input format.

Decoding in ClickHouse avoids touching every attribute from Python. Attribute values are read one level
deep: arrays of scalars and key-value lists of scalars; deeper nesting reads as `null`.
The `kind` columns are the oneof presence (`input_format_protobuf_oneof_presence`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
import threading

MESSAGE = "Request"

PROTO = """syntax = "proto3";
message Scalar { oneof kind { string string_value = 1; bool bool_value = 2; int64 int_value = 3;
  double double_value = 4; bytes bytes_value = 7; } }
message ScalarList { repeated Scalar values = 1; }
message ScalarPair { string key = 1; Scalar value = 2; }
message ScalarPairs { repeated ScalarPair values = 1; }
message Value { oneof kind { string string_value = 1; bool bool_value = 2; int64 int_value = 3;
  double double_value = 4; ScalarList array_value = 5; ScalarPairs kvlist_value = 6; bytes bytes_value = 7; } }
message Pair { string key = 1; Value value = 2; }
message Resource { repeated Pair attributes = 1; }
message Scope { string name = 1; string version = 2; }
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated Pair attributes = 3; }
message Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; repeated Pair attributes = 4; }
message Status { string message = 2; int32 code = 3; }
message Span { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated Pair attributes = 9; repeated Event events = 11; repeated Link links = 13; Status status = 15; }
message ScopeSpans { Scope scope = 1; repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Request { repeated ResourceSpans resource_spans = 1; }
"""

_KIND = (
    "Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, "
    "'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7)"
)
_SCALAR = f"Tuple(string_value String, bool_value Bool, int_value Int64, double_value Float64, bytes_value String, kind {_KIND})"
_VALUE = (
    "Tuple(string_value String, bool_value Bool, int_value Int64, double_value Float64, bytes_value String, "
    f"array_value Tuple(values Array({_SCALAR})), kvlist_value Tuple(values Array(Tuple(key String, value {_SCALAR}))), kind {_KIND})"
)
_PAIRS = f"Array(Tuple(key String, value {_VALUE}))"
_SPAN = (
    "Tuple(trace_id String, span_id String, trace_state String, parent_span_id String, name String, kind Int32, "
    f"start_time_unix_nano UInt64, end_time_unix_nano UInt64, attributes {_PAIRS}, "
    f"events Array(Tuple(time_unix_nano UInt64, name String, attributes {_PAIRS})), "
    f"links Array(Tuple(trace_id String, span_id String, trace_state String, attributes {_PAIRS})), "
    "status Tuple(message String, code Int32))"
)
STRUCTURE = (
    f"resource_spans Array(Tuple(resource Tuple(attributes {_PAIRS}), "
    f"scope_spans Array(Tuple(scope Tuple(name String, version String), spans Array({_SPAN})))))"
)


_proto_path: str | None = None
_proto_lock = threading.Lock()


def proto_file() -> str:
    """Path of the schema file: a private file of this process (unpredictable name, mode 0600) made on first
    use, and again if it was removed (a temp dir cleaner); an existing file is never taken for it."""
    global _proto_path
    with _proto_lock:
        if _proto_path is None or not os.path.exists(_proto_path):
            fd, path = tempfile.mkstemp(prefix="ao-otlp-trace-", suffix=".proto")
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(PROTO)
            if _proto_path is None:
                atexit.register(_remove_proto_file)
            _proto_path = path
        return _proto_path


def _remove_proto_file() -> None:
    if _proto_path is not None:
        with contextlib.suppress(OSError):
            os.unlink(_proto_path)


def varint(value: int) -> bytes:
    """A non-negative integer in protobuf's varint encoding."""
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def length_delimited(messages: list[bytes], head: bytes = b"") -> bytes:
    """Serialized messages, each prefixed by its varint length (ClickHouse's `Protobuf` format), after `head`."""
    out = bytearray(head)
    for message in messages:
        out += varint(len(message))
        out += message
    return bytes(out)
