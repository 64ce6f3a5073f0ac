"""OTLP request decoding (traces, metrics, logs) and trace validation shared by the gRPC and HTTP receivers.

A request is acknowledged only once it is known that the store can decode it: the store decodes spooled
requests with ClickHouse's protobuf reader, which refuses some messages protobuf itself takes (a oneof with
two members set, a known field sent with another wire type, a group with content, a value out of its
column's range). `store_payload` passes a request that is exactly the canonical encoding of what protobuf
read (nearly every exporter's output) and asks the store's own decoder about any other.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

DEFAULT_MAX_BODY = 16 << 20
MAX_DEPTH = 100  # levels of nested messages, as protobuf's parser allows

RequestT = TypeVar("RequestT", bound=Message)


class BadRequest(Exception):
    """The request cannot be decoded (HTTP 400, gRPC INVALID_ARGUMENT)."""


class TooLarge(Exception):
    """The (decompressed) request is over the size cap (HTTP 413, gRPC RESOURCE_EXHAUSTED)."""


class UnsupportedEncoding(Exception):
    """Unknown Content-Type or Content-Encoding (HTTP 415)."""


@dataclass
class Accepted:
    """A validated request: `payload` is what goes to the spool (None when no span was accepted)."""

    payload: bytes | None
    spans: int
    rejected: int
    message: str

    def response(self) -> ExportTraceServiceResponse:
        response = ExportTraceServiceResponse()
        if self.rejected:
            response.partial_success.rejected_spans = self.rejected
            response.partial_success.error_message = self.message
        return response


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """Undo `Content-Encoding` without ever holding more than `limit` decompressed bytes."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        if len(body) > limit:
            raise TooLarge(f"body of {len(body)} bytes is over the {limit}-byte cap")
        return body
    if encoding in ("gzip", "x-gzip"):
        wbits = 16 + zlib.MAX_WBITS
    elif encoding == "deflate":
        wbits = zlib.MAX_WBITS
    else:
        raise UnsupportedEncoding(f"unsupported Content-Encoding {encoding!r} (use gzip, deflate or identity)")
    out = bytearray()
    data = body
    try:
        while data:
            inflater = zlib.decompressobj(wbits)
            out += inflater.decompress(data, limit + 1 - len(out))
            if len(out) > limit or inflater.unconsumed_tail:
                raise TooLarge(f"decompressed body is over the {limit}-byte cap")
            if not inflater.eof:
                raise BadRequest(f"truncated {encoding} body")
            data = inflater.unused_data
    except zlib.error as exc:
        raise BadRequest(f"invalid {encoding} body: {exc}") from None
    return bytes(out)


def parse_protobuf(body: bytes, message_type: type[RequestT] = ExportTraceServiceRequest) -> RequestT:  # type: ignore[assignment]
    """Decode a binary OTLP export request (traces unless `message_type` says otherwise)."""
    try:
        return message_type.FromString(body)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise BadRequest(f"malformed {message_type.__name__} protobuf: {exc}") from None


# Fields of OTLP messages (spans, links, log records, exemplars) that JSON carries as hex.
_ID_FIELDS = frozenset({"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"})


def _hex_ids_to_base64(document: dict[str, Any]) -> None:
    """OTLP JSON carries ids as hex; protobuf's JSON mapping of bytes is base64. Only message fields are
    JSON object keys (attribute keys are values), so every id field is found by walking the objects."""
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if key in _ID_FIELDS and isinstance(value, str):
                try:
                    node[key] = base64.b64encode(bytes.fromhex(value)).decode()
                except ValueError:
                    node[key] = ""  # an invalid id: a span is rejected by validation, elsewhere it stays empty
            elif isinstance(value, (dict, list)):
                stack.append(value)


def parse_json(body: bytes, message_type: type[RequestT] = ExportTraceServiceRequest) -> RequestT:  # type: ignore[assignment]
    """Decode the OTLP/JSON encoding (lowerCamelCase fields, hex ids, enums as integers).

    Nesting is bounded: JSON deeper than the interpreter's recursion limit is refused by the parser, and a
    message deeper than `MAX_DEPTH` (protobuf's own limit) by the mapping to protobuf (both as BadRequest)."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"malformed JSON: {exc}") from None
    except RecursionError:
        raise BadRequest(f"JSON nested too deeply (an OTLP/JSON request needs at most {MAX_DEPTH} levels of messages)") from None
    name = message_type.__name__
    if not isinstance(document, dict):
        raise BadRequest(f"an OTLP/JSON body is a JSON object (an {name})")
    _hex_ids_to_base64(document)
    request = message_type()
    try:
        json_format.ParseDict(document, request, ignore_unknown_fields=True, max_recursion_depth=MAX_DEPTH)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as exc:
        raise BadRequest(f"invalid OTLP/JSON {name}: {exc}") from None
    return request


# Why the store's decoder refuses a serialized request, or None (`Store.check`).
StoreCheck = Callable[[bytes], "str | None"]


def store_payload(request: ExportTraceServiceRequest, payload: bytes, check: StoreCheck) -> bytes:
    """What to spool for `payload`, the wire form of `request` (which this clears of unknown fields): the
    payload itself when it is the canonical encoding; else, when the store's decoder (`check`) takes it, the
    canonical encoding, which ClickHouse reads as protobuf does (it reads a field sent twice as empty, where
    protobuf keeps the last). Raises BadRequest when the decoder refuses it."""
    request.DiscardUnknownFields()
    canonical = request.SerializeToString()
    if canonical == payload:
        return payload
    reason = check(payload)
    if reason is not None:
        raise BadRequest(f"the store cannot decode this request: {reason}")
    return canonical


_ZERO_TRACE_ID = bytes(16)
_ZERO_SPAN_ID = bytes(8)


def _invalid(span: Any) -> str | None:
    """Why a span cannot be stored, or None."""
    if len(span.trace_id) != 16 or span.trace_id == _ZERO_TRACE_ID:
        return "trace_id must be 16 non-zero bytes"
    if len(span.span_id) != 8 or span.span_id == _ZERO_SPAN_ID:
        return "span_id must be 8 non-zero bytes"
    if span.parent_span_id and len(span.parent_span_id) != 8:
        return "parent_span_id must be empty or 8 bytes"
    for link in span.links:
        if len(link.trace_id) != 16 or len(link.span_id) != 8:
            return "link ids must be 16 and 8 bytes"
    return None


def validate(request: ExportTraceServiceRequest, raw: bytes | None) -> Accepted:
    """Count spans and drop the ones that cannot be stored (OTLP partial success).

    `raw` is the request's wire form when the caller has it; it is spooled as is unless spans were dropped.
    """
    spans = 0
    rejected = 0
    reasons: dict[str, int] = {}
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            bad: list[int] = []
            for index, span in enumerate(scope_spans.spans):
                reason = _invalid(span)
                if reason is None:
                    spans += 1
                else:
                    bad.append(index)
                    reasons[reason] = reasons.get(reason, 0) + 1
            for index in reversed(bad):
                del scope_spans.spans[index]
            rejected += len(bad)
    if spans == 0:
        payload = None
    elif rejected or raw is None:
        payload = request.SerializeToString()
    else:
        payload = raw
    message = "; ".join(f"{count} span(s): {reason}" for reason, count in reasons.items())
    return Accepted(payload, spans, rejected, message)
