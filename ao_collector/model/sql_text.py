"""ClickHouse SQL literals for values built into query text."""

from __future__ import annotations

import datetime
from typing import Any


def quote(text: str) -> str:
    """A ClickHouse string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def literal(value: Any) -> str:
    """A ClickHouse literal of a None, bool, number, string, datetime or (nested) list."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, datetime.datetime):
        return quote(value.isoformat(sep=" "))
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(literal(item) for item in value) + "]"
    raise TypeError(f"unsupported literal value {value!r}")
