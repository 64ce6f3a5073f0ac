"""OTLP attribute values as the text the ClickHouse exporter stores in its `Map(String, String)` columns:
strings as they are, booleans `true`/`false`, numbers in decimal, bytes in base64, arrays and key-value
lists as JSON (the same text `span_sql` computes in ClickHouse for spans)."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterable
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue


def _double(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value).removesuffix(".0")


def _json(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        return value.double_value if math.isfinite(value.double_value) else None
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    if kind == "array_value":
        return [_json(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {item.key: _json(item.value) for item in value.kvlist_value.values}
    return None


def value_text(value: AnyValue) -> str:
    """The exporter's text of one value ('' when empty)."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind == "int_value":
        return str(value.int_value)
    if kind == "double_value":
        return _double(value.double_value)
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    if kind in ("array_value", "kvlist_value"):
        return json.dumps(_json(value), separators=(",", ":"), ensure_ascii=False)
    return ""


def attribute_map(attributes: Iterable[KeyValue]) -> list[tuple[str, str]]:
    """Key-value pairs for an Arrow map column (`tables.ATTRIBUTES`)."""
    return [(item.key, value_text(item.value)) for item in attributes]


def service_name(resource_attributes: list[tuple[str, str]]) -> str:
    return next((value for key, value in resource_attributes if key == "service.name"), "")
