"""Deterministic JSON instances of a JSON schema, for structured-output replies."""

from __future__ import annotations

from typing import Any

_MAX_DEPTH = 8
_STRING_FORMATS = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "fake@example.com",
    "uri": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def instance_of(schema: dict[str, Any], text: str) -> Any:
    """A value valid against `schema`; every free string is `text`, so outputs carry content."""
    return _fill(schema, text, schema, 0)


def _fill(schema: Any, text: str, root: dict[str, Any], depth: int) -> Any:
    """Recursive schemas stop growing past _MAX_DEPTH: arrays turn empty, nullable values null."""
    if not isinstance(schema, dict):
        return text
    if "$ref" in schema:
        return _fill(_resolve(schema["$ref"], root), text, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if not (isinstance(o, dict) and o.get("type") == "null")]
            if depth > _MAX_DEPTH and len(options) < len(schema[key]):
                return None
            return _fill((options or schema[key])[0], text, root, depth + 1)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = _fill(part, text, root, depth + 1)
            if not isinstance(value, dict):
                return value
            merged.update(value)
        return merged
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: _fill(prop, text, root, depth + 1) for name, prop in properties.items()}
    if kind == "array":
        low = int(schema.get("minItems", 0))
        count = low if depth > _MAX_DEPTH else max(1, low)
        if "maxItems" in schema:
            count = min(count, int(schema["maxItems"]))
        return [_fill(schema.get("items", {}), text, root, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        value = max(1, low + (1 if "exclusiveMinimum" in schema else 0))
        if "maximum" in schema:
            value = min(value, schema["maximum"])
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema, text)


def _string(schema: dict[str, Any], text: str) -> str:
    value = _STRING_FORMATS.get(schema.get("format", ""), text)
    value = value.ljust(int(schema.get("minLength", 0)), ".")
    return value[: int(schema["maxLength"])] if "maxLength" in schema else value


def _resolve(ref: str, root: dict[str, Any]) -> Any:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref are supported, got {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node
