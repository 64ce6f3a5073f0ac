"""Poison requests: valid protobuf that ClickHouse's protobuf reader refuses, built on the wire."""

from __future__ import annotations

import uuid

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ao_collector.model.otlp_proto import varint
from tests.collector_service.helpers import llm_request


def tag(field: int, wire_type: int) -> bytes:
    return varint(field << 3 | wire_type)


def delimited(field: int, data: bytes) -> bytes:
    return tag(field, 2) + varint(len(data)) + data


# Bytes appended to a span that protobuf (upb) reads but ClickHouse's reader refuses, by kind.
POISON = {
    # attribute value (AnyValue) with string_value and int_value both set
    "oneof": delimited(9, delimited(1, b"k") + delimited(2, delimited(1, b"text") + tag(3, 0) + varint(5))),
    # Span.name (a string, field 5) sent as a varint
    "wire_type": tag(5, 0) + varint(3),
    # an unknown field of the group wire type, with a field inside
    "group": tag(99, 3) + tag(1, 0) + varint(1) + tag(99, 4),
    # Span.kind (int32) sent as a varint over the int32 range
    "out_of_range": tag(6, 0) + varint(1 << 40),
}


def poisoned(kind: str) -> tuple[bytes, str]:
    """A two-span request whose second span carries `POISON[kind]`; returns its bytes and trace id (hex)."""
    request = llm_request(uuid.uuid4().hex, calls=1)
    resource_spans = request.resource_spans[0]
    scope_spans = resource_spans.scope_spans[0]
    spans = b"".join(
        delimited(2, span.SerializeToString() + (POISON[kind] if index == 1 else b""))
        for index, span in enumerate(scope_spans.spans)
    )
    scope = delimited(1, scope_spans.scope.SerializeToString()) + spans
    body = delimited(1, delimited(1, resource_spans.resource.SerializeToString()) + delimited(2, scope))
    ExportTraceServiceRequest.FromString(body)  # protobuf itself takes it
    return body, scope_spans.spans[0].trace_id.hex()
