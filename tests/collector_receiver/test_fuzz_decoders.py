"""Fuzzing the receivers' decoders (hypothesis over OTLP messages, their wire form and their JSON form).

Properties, against the real ClickHouse decoder of the store:
- any input either is refused as BadRequest (a 400 / INVALID_ARGUMENT) or is accepted, never another error;
- what is accepted, the store decodes, with one row per accepted span (nothing acknowledged is lost);
- the OTLP/JSON form of a message reads back as the same message.
Each runs 40 examples in the suite (a few seconds in all); fuzz longer with AO_FUZZ_EXAMPLES=2000.
"""

from __future__ import annotations

import base64
import json
import os
import uuid

from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from ao_collector.model.otlp_proto import length_delimited, proto_file, varint
from ao_collector.model.span_sql import decode_query
from ao_collector.receiver.otlp import Accepted, BadRequest, parse_json, parse_protobuf, store_payload, validate
from ao_collector.store import ChdbStore

# This module's own settings (no global profile: other modules' hypothesis tests keep theirs).
FIXTURE = settings(
    max_examples=int(os.environ.get("AO_FUZZ_EXAMPLES", "40")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

text = st.text(max_size=20)
scalars = st.one_of(
    st.builds(lambda v: AnyValue(string_value=v), text),
    st.builds(lambda v: AnyValue(bool_value=v), st.booleans()),
    st.builds(lambda v: AnyValue(int_value=v), st.integers(-(2**63), 2**63 - 1)),
    st.builds(lambda v: AnyValue(double_value=v), st.floats(allow_nan=True, allow_infinity=True)),
    st.builds(lambda v: AnyValue(bytes_value=v), st.binary(max_size=16)),
    st.just(AnyValue()),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.builds(lambda items: AnyValue(array_value=ArrayValue(values=items)), st.lists(inner, max_size=3)),
        st.builds(lambda pairs: AnyValue(kvlist_value=KeyValueList(values=[KeyValue(key=k, value=v) for k, v in pairs])),
                  st.lists(st.tuples(text, inner), max_size=3)),
    ),
    max_leaves=8,
)
attributes = st.lists(st.builds(lambda k, v: KeyValue(key=k, value=v), text, values), max_size=4)
ids16 = st.one_of(st.binary(min_size=16, max_size=16), st.binary(max_size=20))
ids8 = st.one_of(st.binary(min_size=8, max_size=8), st.binary(max_size=10))
times = st.integers(0, 2**64 - 1)


@st.composite
def spans(draw: st.DrawFn) -> Span:
    span = Span(
        trace_id=draw(ids16), span_id=draw(ids8), parent_span_id=draw(st.one_of(st.just(b""), ids8)),
        name=draw(text), kind=draw(st.integers(-5, 10)), start_time_unix_nano=draw(times),
        end_time_unix_nano=draw(times), attributes=draw(attributes), trace_state=draw(text),
        flags=draw(st.integers(0, 2**32 - 1)), dropped_attributes_count=draw(st.integers(0, 2**32 - 1)),
        status=Status(code=draw(st.integers(-3, 5)), message=draw(text)),
    )
    for _ in range(draw(st.integers(0, 2))):
        event = span.events.add(time_unix_nano=draw(times), name=draw(text))
        event.attributes.extend(draw(attributes))
    for _ in range(draw(st.integers(0, 2))):
        link = span.links.add(trace_id=draw(ids16), span_id=draw(ids8), trace_state=draw(text))
        link.attributes.extend(draw(attributes))
    return span


@st.composite
def requests(draw: st.DrawFn) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    for _ in range(draw(st.integers(0, 2))):
        resource_spans: ResourceSpans = request.resource_spans.add()
        resource_spans.resource.attributes.extend(draw(attributes))
        for _ in range(draw(st.integers(0, 2))):
            scope_spans: ScopeSpans = resource_spans.scope_spans.add()
            scope_spans.scope.name = draw(text)
            scope_spans.spans.extend(draw(st.lists(spans(), max_size=3)))
    return request


def _receive_protobuf(body: bytes, store: ChdbStore) -> Accepted:
    """What the receivers do with a protobuf body (up to the spool)."""
    request = parse_protobuf(body)
    accepted = validate(request, body)
    if accepted.payload is not None:
        accepted.payload = store_payload(request, accepted.payload, store.check)
    return accepted


def _decoded_rows(store: ChdbStore, payload: bytes) -> int:
    """Rows the store's decode query reads from one request (raises what the decoder raises)."""
    path = os.path.join(store.scratch_dir, f"fuzz-{uuid.uuid4().hex}.otlp")
    with open(path, "wb") as file:
        file.write(length_delimited([payload]))
    try:
        return int(store.query(f"SELECT count() AS n FROM ({decode_query(path, proto_file())})")[0]["n"])
    finally:
        os.unlink(path)


def _assert_stored_whole(store: ChdbStore, accepted: Accepted) -> None:
    if accepted.payload is not None:
        assert _decoded_rows(store, accepted.payload) == accepted.spans


@FIXTURE
@given(requests())
def test_any_message_is_refused_or_decodable_by_the_store(store: ChdbStore, request: ExportTraceServiceRequest) -> None:
    _assert_stored_whole(store, _receive_protobuf(request.SerializeToString(), store))


# Wire-level edits: a field of any wire type, inserted at any point of a valid request's bytes.
wire_fields = st.tuples(st.integers(1, 20), st.sampled_from([0, 1, 2, 3, 4, 5]), st.binary(max_size=12))


def _field(number: int, wire_type: int, payload: bytes) -> bytes:
    tag = varint(number << 3 | wire_type)
    if wire_type == 0:
        return tag + varint(int.from_bytes(payload[:9] or b"\0", "little"))
    if wire_type == 1:
        return tag + payload.ljust(8, b"\0")[:8]
    if wire_type == 2:
        return tag + varint(len(payload)) + payload
    if wire_type == 5:
        return tag + payload.ljust(4, b"\0")[:4]
    return tag  # start or end of a group


@FIXTURE
@given(requests(), st.lists(st.tuples(st.floats(0, 1), wire_fields), min_size=1, max_size=3))
def test_wire_edits_are_refused_or_decodable_by_the_store(store: ChdbStore, request: ExportTraceServiceRequest,
                                                          edits: list[tuple[float, tuple[int, int, bytes]]]) -> None:
    body = request.SerializeToString()
    for where, (number, wire_type, payload) in edits:
        cut = int(where * len(body))
        body = body[:cut] + _field(number, wire_type, payload) + body[cut:]
    try:
        accepted = _receive_protobuf(body, store)
    except BadRequest:
        return
    _assert_stored_whole(store, accepted)


def _otlp_json(request: ExportTraceServiceRequest) -> str:
    """The OTLP/JSON form: protobuf's JSON mapping with hex trace and span ids."""
    document = json_format.MessageToDict(request)
    for resource_spans in document.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                for item in [span, *span.get("links", [])]:
                    for key in ("traceId", "spanId", "parentSpanId"):
                        if key in item:
                            item[key] = base64.b64decode(item[key]).hex()
    return json.dumps(document)


@FIXTURE
@given(requests())
def test_otlp_json_reads_back_as_the_message_and_is_decodable(store: ChdbStore, request: ExportTraceServiceRequest) -> None:
    read = parse_json(_otlp_json(request).encode())
    assert json_format.MessageToDict(read) == json_format.MessageToDict(request)  # (NaN compares unequal as a float)
    accepted = validate(read, None)
    if accepted.payload is not None:
        accepted.payload = store_payload(read, accepted.payload, store.check)
    _assert_stored_whole(store, accepted)


OTLP_KEYS = st.sampled_from(["resourceSpans", "scopeSpans", "spans", "traceId", "spanId", "attributes", "key", "value",
                             "stringValue", "arrayValue", "values", "kvlistValue", "name", "x"])


def _containers(inner: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.lists(inner, max_size=4) | st.dictionaries(OTLP_KEYS, inner, max_size=4)


json_documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    _containers,
    max_leaves=20,
)


@FIXTURE
@given(json_documents)
def test_any_json_document_is_refused_or_accepted(store: ChdbStore, document: object) -> None:
    try:
        request = parse_json(json.dumps(document).encode())
    except BadRequest:
        return
    accepted = validate(request, None)
    if accepted.payload is not None:
        accepted.payload = store_payload(request, accepted.payload, store.check)
    _assert_stored_whole(store, accepted)
