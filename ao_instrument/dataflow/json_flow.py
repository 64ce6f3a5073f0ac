"""Labels through JSON: values parsed from labelled text, and text serialized from labelled values."""

from __future__ import annotations

import json.decoder
import json.scanner
import re
from typing import Any

from ao_instrument.dataflow import ranges as rg
from ao_instrument.dataflow.labels import LStr, number, plain, text
from ao_instrument.dataflow.ranges import Origins, Ranges
from ao_instrument.dataflow.structures import relabel_text

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = json.scanner.NUMBER_RE
_scanstring = json.decoder.scanstring
_CONSTANTS = ("null", "true", "false", "NaN", "Infinity", "-Infinity")


def label_loaded(result: Any, source: Any) -> Any:
    """`result` (parsed from labelled `source`) with its strings and numbers labelled.

    Text from a single call labels every value with that call; text mixing calls is scanned for the
    position of each value, so a value takes the origins of exactly the characters it came from.
    """
    ranges: Ranges = source._ao
    if rg.covers(ranges, len(source), ranges[0][2][0]) and len(ranges) == 1 or type(source) is not LStr:
        return _label_all(result, rg.origins_of(ranges))
    spans: list[tuple[int, int]] = []
    try:
        end = _value(plain(source), 0, spans)
        if _WS.match(source, end).end() != len(source):
            raise ValueError("trailing data")
    except (ValueError, IndexError, StopIteration):
        return _label_all(result, rg.origins_of(ranges))
    slots = list(_leaf_slots(result))
    if len(slots) != len(spans):
        return _label_all(result, rg.origins_of(ranges))
    for (holder, key, value), (start, stop) in zip(slots, spans):
        piece = rg.clip(ranges, start, stop)
        if type(value) is str:
            new = text(value, rg.scale(piece, stop - start, len(value)))
        else:
            new = number(value, rg.origins_of(piece))
        if holder is None:
            return new
        holder[key] = new
    return result


def _label_all(value: Any, origins: Origins) -> Any:
    cls = type(value)
    if cls is str:
        return text(value, rg.whole(origins, len(value)))
    if cls is int or cls is float:
        return number(value, origins)
    if cls is dict:
        for key, item in value.items():
            new = _label_all(item, origins)
            if new is not item:
                value[key] = new
    elif cls is list:
        for i, item in enumerate(value):
            new = _label_all(item, origins)
            if new is not item:
                value[i] = new
    return value


def _leaf_slots(value: Any, holder: Any = None, key: Any = None) -> Any:
    """(holder, key, value) of every string and number in document order (dict keys excluded)."""
    cls = type(value)
    if cls is dict:
        for k, item in value.items():
            yield from _leaf_slots(item, value, k)
    elif cls is list:
        for i, item in enumerate(value):
            yield from _leaf_slots(item, value, i)
    elif cls is str or cls is int or cls is float:
        yield holder, key, value


def _value(s: str, i: int, spans: list[tuple[int, int]]) -> int:
    """Scan one JSON value at `i`, recording the span of every string and number value; its end."""
    i = _WS.match(s, i).end()
    c = s[i]
    if c == '"':
        _, end = _scanstring(s, i + 1)
        spans.append((i + 1, end - 1))
        return end
    if c == "{":
        i = _WS.match(s, i + 1).end()
        if s[i] == "}":
            return i + 1
        while True:
            if s[i] != '"':
                raise ValueError("key")
            _, i = _scanstring(s, i + 1)
            i = _WS.match(s, i).end()
            if s[i] != ":":
                raise ValueError("colon")
            i = _WS.match(s, _value(s, i + 1, spans)).end()
            if s[i] == "}":
                return i + 1
            if s[i] != ",":
                raise ValueError("comma")
            i = _WS.match(s, i + 1).end()
    if c == "[":
        i = _WS.match(s, i + 1).end()
        if s[i] == "]":
            return i + 1
        while True:
            i = _WS.match(s, _value(s, i, spans)).end()
            if s[i] == "]":
                return i + 1
            if s[i] != ",":
                raise ValueError("comma")
            i += 1
    m = _NUMBER.match(s, i)
    if m is not None:
        spans.append((i, m.end()))
        return m.end()
    for word in _CONSTANTS:
        if s.startswith(word, i):
            if word in ("NaN", "Infinity", "-Infinity"):
                spans.append((i, i + len(word)))
            return i + len(word)
    raise ValueError("value")


def label_dumped(result: Any, obj: Any) -> Any:
    """`result` (JSON text serialized from `obj`) labelled where the labelled values of `obj` appear."""
    return relabel_text(result, obj)
