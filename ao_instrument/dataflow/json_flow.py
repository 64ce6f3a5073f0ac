"""Labels through JSON: values parsed from labelled text, and text serialized from labelled values."""

from __future__ import annotations

import json.decoder
import json.encoder
import json.scanner
import re
from typing import Any

from ao_instrument.dataflow import ranges as rg
from ao_instrument.dataflow.labels import BUDGET, LABELLED, LFloat, LInt, LStr, number, plain, text
from ao_instrument.dataflow.ranges import Origins, Ranges
from ao_instrument.dataflow.structures import normalize_ranges, relabel_text

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = json.scanner.NUMBER_RE
_scanstring = json.decoder.scanstring
_CONSTANTS = ("null", "true", "false", "NaN", "Infinity", "-Infinity")
_LEAVES = frozenset((str, int, float, bool, type(None)))
MAX_DEPTH = 64
_new_str, _new_int, _new_float = str.__new__, int.__new__, float.__new__
_plain_str, _int_repr, _float_repr = str.__str__, int.__repr__, float.__repr__


def label_loaded(result: Any, source: Any) -> Any:
    """`result` (parsed from labelled `source`) with its strings and numbers labelled.

    Text from a single call labels every value with that call; text mixing calls is scanned for the
    position of each value, so a value takes the origins of exactly the characters it came from.
    """
    if _labelled_already(result):
        return result
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


def _labelled_already(value: Any) -> bool:
    """Whether the first string or number of a parse result is labelled: `json.loads` is patched for
    library code, so the rewritten user call finds what the library call labelled."""
    for _ in range(MAX_DEPTH):
        cls = type(value)
        if cls is dict:
            if not value:
                return False
            value = next(iter(value.values()))
        elif cls is list:
            if not value:
                return False
            value = value[0]
        else:
            return cls in LABELLED
    return False


def _label_all(value: Any, origins: Origins) -> Any:
    """Every string and number in `value` labelled with `origins` over its whole text (in place)."""
    if BUDGET[0] <= 0:
        return value
    if type(value) is str:
        return text(value, rg.whole(origins, len(value)))
    if type(value) in (int, float):
        return number(value, origins)
    made = 0
    stack = [value]
    while stack:
        holder = stack.pop()
        items = holder.items() if type(holder) is dict else enumerate(holder)
        for key, item in items:
            cls = type(item)
            if cls is str:
                if item:
                    new = _new_str(LStr, item)
                    new._ao = ((0, len(item), origins),)
                    holder[key] = new
                    made += 1
            elif cls is int:
                new = _new_int(LInt, item)
                new._ao = origins
                holder[key] = new
                made += 1
            elif cls is float:
                new = _new_float(LFloat, item)
                new._ao = origins
                holder[key] = new
                made += 1
            elif cls is dict or cls is list:
                stack.append(item)
    BUDGET[0] -= made
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


def label_dumped(result: Any, obj: Any, ensure_ascii: bool = True) -> Any:
    """`result` (JSON text serialized from `obj`) labelled where the labelled values of `obj` appear.

    The values are visited in the encoder's order and each is looked for in its JSON form after the
    previous one, so positions are exact unless an unlabelled value in between has the same text.
    """
    leaves: list[Any] = []
    _labelled_in_order(obj, leaves, 0)
    if not leaves:
        return relabel_text(result, obj)
    encode = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
    find = result.find
    found: list[tuple[int, int, Any]] = []
    cursor = 0
    ordered = True
    for leaf in leaves:
        cls = type(leaf)
        if cls is LStr:
            shown = encode(_plain_str(leaf))
        elif cls is LInt:
            shown = _int_repr(leaf)
        else:
            shown = _float_repr(leaf)
        at = find(shown, cursor)
        if at < 0:
            at = find(shown)
            if at < 0:
                continue
            ordered = False
        end = at + len(shown)
        if cls is LStr:
            ranges = leaf._ao
            if end - at == len(leaf) + 2:
                if len(ranges) == 1:
                    s, e, o = ranges[0]
                    found.append((s + at + 1, e + at + 1, o))
                else:
                    found.extend([(s + at + 1, e + at + 1, o) for s, e, o in ranges])
            else:
                found.append((at, end, rg.origins_of(ranges)))
        else:
            found.append((at, end, leaf._ao))
        cursor = end
    if not found:
        return result
    if not ordered or len(found) > rg.MAX_RANGES:
        return text(result, normalize_ranges(found))
    return text(result, tuple(found))


def _labelled_in_order(value: Any, out: list[Any], depth: int) -> None:
    """The labelled keys and values of JSON-like data, in the order `json.dumps` writes them."""
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is LStr:
                out.append(key)
            kind = type(item)
            if kind in LABELLED:
                out.append(item)
            elif kind not in _LEAVES and depth < 64:
                _labelled_in_order(item, out, depth + 1)
    elif type(value) is list or type(value) is tuple:
        for item in value:
            kind = type(item)
            if kind in LABELLED:
                out.append(item)
            elif kind not in _LEAVES and depth < 64:
                _labelled_in_order(item, out, depth + 1)
    elif type(value) in LABELLED:
        out.append(value)
