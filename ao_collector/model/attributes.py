"""OTLP attribute values as the text the exporter's `Map(LowCardinality(String), String)` columns hold."""

from __future__ import annotations

import base64
import json
from typing import Any, Iterable

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue


def value_text(value: AnyValue) -> str:
    """A value as text: strings as they are, booleans `true`/`false`, numbers in decimal, bytes in base64,
    arrays and key-value lists as JSON."""
    text = value.string_value
    if text:
        return text
    kind = value.WhichOneof("value")
    if kind == "string_value" or kind is None:
        return text
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind == "int_value":
        return str(value.int_value)
    if kind == "double_value":
        return repr(value.double_value)
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return json.dumps(value_object(value), ensure_ascii=False, separators=(",", ":"))


def value_object(value: AnyValue) -> Any:
    """A value as a plain Python object (arrays as lists, key-value lists as dicts)."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value_object(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {item.key: value_object(item.value) for item in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return getattr(value, kind)


def texts(attributes: Iterable[KeyValue]) -> tuple[list[str], list[str]]:
    """Keys and text values of `attributes`, in order."""
    keys: list[str] = []
    values: list[str] = []
    for attribute in attributes:
        keys.append(attribute.key)
        values.append(value_text(attribute.value))
    return keys, values


def text_list(text: str) -> list[str]:
    """An array attribute's text (a JSON array) back as a list of strings; a plain string as one item."""
    if not text:
        return []
    if text[0] == "[":
        try:
            items = json.loads(text)
        except ValueError:
            return [text]
        if isinstance(items, list):
            return [item if isinstance(item, str) else json.dumps(item) for item in items]
    return [text]
