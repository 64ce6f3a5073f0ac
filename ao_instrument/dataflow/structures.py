"""Labels inside structures: find labelled values in nested data, and put labels back on outputs
that a library rebuilt (a repr, a serialization, a validated model) from labelled inputs."""

from __future__ import annotations

import json.encoder
import types
from typing import Any

from ao_instrument.dataflow import ranges as rg
from ao_instrument.dataflow.label_types import LABELLED, NUMBER_TYPES, LStr, number, origins_of, plain, text
from ao_instrument.dataflow.ranges import Ranges

MAX_DEPTH = 8
MAX_NODES = 2_000

_CONTAINERS = (list, tuple, set, frozenset)
_OPAQUE = (type, types.ModuleType, types.FunctionType, types.MethodType, types.BuiltinFunctionType, types.CodeType)
_LEAF_TYPES = frozenset((str, bytes, int, float, bool, type(None), complex, bytearray))


def labelled_leaves(value: Any) -> list[Any]:
    """Labelled values inside `value` (containers, object attributes, exception args), in order."""
    found: list[Any] = []
    budget = [MAX_NODES]
    _collect(value, found, budget, 0, set())
    return found


def _collect(value: Any, found: list[Any], budget: list[int], depth: int, seen: set[int]) -> None:
    cls = type(value)
    if cls in LABELLED:
        found.append(value)
        return
    if cls in _LEAF_TYPES or depth > MAX_DEPTH or budget[0] <= 0:
        return
    budget[0] -= 1
    if cls is dict or isinstance(value, dict):
        if id(value) in seen:
            return
        seen.add(id(value))
        for key, item in list(value.items()):
            _collect(key, found, budget, depth + 1, seen)
            _collect(item, found, budget, depth + 1, seen)
        return
    if isinstance(value, _CONTAINERS):
        if id(value) in seen:
            return
        seen.add(id(value))
        for item in list(value):
            _collect(item, found, budget, depth + 1, seen)
        return
    if isinstance(value, _OPAQUE):
        return
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, BaseException):
        _collect(value.args, found, budget, depth + 1, seen)
    attrs = getattr(value, "__dict__", None)
    if type(attrs) is dict:
        for item in list(attrs.values()):
            _collect(item, found, budget, depth + 1, seen)
    for name in getattr(cls, "__slots__", ()):
        if isinstance(name, str) and not name.startswith("__"):
            _collect(getattr(value, name, None), found, budget, depth + 1, seen)


def json_has_labels(value: Any, depth: int = 0) -> bool:
    """Whether JSON-like data (dicts, lists, tuples of leaves) holds a labelled value."""
    cls = type(value)
    if cls is dict:
        items: Any = value.items()
    elif cls is list or cls is tuple:
        items = enumerate(value)
    else:
        return has_labels(value)
    if depth > MAX_DEPTH:
        return False
    for key, item in items:
        kind = type(item)
        if kind in _LEAF_TYPES:
            if type(key) in LABELLED:
                return True
            continue
        if kind in LABELLED or type(key) in LABELLED:
            return True
        if json_has_labels(item, depth + 1):
            return True
    return False


def has_labels(value: Any) -> bool:
    cls = type(value)
    if cls in LABELLED:
        return True
    if cls in _LEAF_TYPES:
        return False
    return bool(labelled_leaves(value))


def renderings(leaf: Any) -> list[tuple[str, Ranges]]:
    """The ways a labelled value appears inside text built from it, with their ranges."""
    cls = type(leaf)
    if cls in NUMBER_TYPES:
        shown = cls._base.__repr__(leaf)
        return [(shown, rg.whole(leaf._ao, len(shown)))]
    if cls is LStr:
        out = [(plain(leaf), leaf._ao)]
        shown = repr(leaf)
        out.append((plain(shown), getattr(shown, "_ao", ())))
        for encode in (json.encoder.encode_basestring_ascii, json.encoder.encode_basestring):
            encoded = encode(plain(leaf))
            out.append((encoded, rg.shift(leaf._ao, 1) if len(encoded) == len(leaf) + 2 else rg.coarse(leaf._ao, len(encoded))))
        return out
    shown = repr(leaf)
    return [(plain(shown), getattr(shown, "_ao", ()))]


def ranges_by_search(result: str, leaves: list[Any]) -> Ranges:
    """Ranges of `result` found by locating each labelled input (or its repr/JSON form) in it, in order."""
    found: list[tuple[int, int, Any]] = []
    cursor = 0
    for leaf in leaves:
        for shown, ranges in renderings(leaf):
            if not shown or not ranges:
                continue
            at = result.find(shown, cursor)
            if at < 0:
                at = result.find(shown)
            if at >= 0:
                found.extend((s + at, e + at, o) for s, e, o in ranges)
                cursor = at + len(shown)
                break
    return normalize_ranges(found)


def normalize_ranges(found: list[tuple[int, int, Any]]) -> Ranges:
    """Sorted, non-overlapping, merged ranges from possibly overlapping ones."""
    found.sort(key=lambda r: (r[0], r[1]))
    out: list[tuple[int, int, Any]] = []
    for s, e, o in found:
        if out and s < out[-1][1]:
            ps, pe, po = out[-1]
            out[-1] = (ps, max(pe, e), rg.union(po, o))
            continue
        out.append((s, e, o))
    return rg.join_at([(0, tuple(out))])


def relabel_text(result: Any, inputs: Any) -> Any:
    """`result` (text rebuilt by a library from `inputs`) with the labels of the inputs found in it."""
    if type(result) is not str:
        return result
    leaves = labelled_leaves(inputs)
    if not leaves:
        return result
    return text(result, ranges_by_search(result, leaves))


def relabel_like(out: Any, src: Any, depth: int = 0) -> Any:
    """`out`, validated or converted from `src`, with the labels of the matching parts of `src`.

    Walks both in parallel (model fields and dict keys by name or alias, sequences by index); a string
    takes the ranges of where it sits in its source string, a number the origins of its source.
    """
    if depth > MAX_DEPTH:
        return out
    src_cls = type(src)
    out_cls = type(out)
    if src_cls in LABELLED:
        if out_cls is str and src_cls is LStr:
            at = str.find(src, out)
            if at >= 0:
                return text(out, rg.clip(src._ao, at, at + len(out)))
            return text(out, rg.whole(origins_of(src), len(out)))
        if out_cls in (int, float):
            return number(out, origins_of(src))
        return out
    if src_cls in _LEAF_TYPES:
        return out
    fields = getattr(out_cls, "__pydantic_fields__", None)
    if fields is not None:
        source = _as_mapping(src)
        if source is None:
            return out
        attrs = out.__dict__
        for name, value in list(attrs.items()):
            info = fields.get(name)
            alias = getattr(info, "alias", None) if info is not None else None
            key = name if name in source else alias if alias in source else None
            if key is not None:
                new = relabel_like(value, source[key], depth + 1)
                if new is not value:
                    attrs[name] = new
        return out
    if out_cls is dict:
        source = _as_mapping(src)
        if source is not None:
            for key, value in list(out.items()):
                if key in source:
                    new = relabel_like(value, source[key], depth + 1)
                    if new is not value:
                        out[key] = new
        return out
    if out_cls in (list, tuple) and isinstance(src, (list, tuple)) and len(src) == len(out):
        items = [relabel_like(a, b, depth + 1) for a, b in zip(out, src)]
        if out_cls is tuple:
            return tuple(items)
        out[:] = items
        return out
    return out


def _as_mapping(src: Any) -> Any:
    if isinstance(src, dict):
        return src
    attrs = getattr(src, "__dict__", None)
    return attrs if type(attrs) is dict else None
