"""Labelled string formatting: f-strings, `%`, `str.format` and `format_map`.

Each replacement field is formatted on its own, exactly as Python does, so the position of every
labelled piece is known; the pieces are then checked against Python's own result (a mismatch falls
back to locating the labelled inputs in the result).
"""

from __future__ import annotations

import re
from typing import Any

import _string

from ao_instrument.dataflow import ranges as rg
from ao_instrument.dataflow.label_types import NUMBER_TYPES, TEXT_TYPES, LStr, plain, ranges_of, text
from ao_instrument.dataflow.ranges import Ranges
from ao_instrument.dataflow.structures import labelled_leaves, ranges_by_search

_PLAIN_VALUES = frozenset((str, int, float, bool, type(None), complex, bytes))
_CONVERSIONS = {-1: "", 115: "s", 114: "r", 97: "a"}
_PERCENT = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?(?P<flags>[-#0 +]*)(?P<width>\*|\d+)?(?:\.(?P<prec>\*|\d+))?[hlL]?(?P<type>.)", re.S
)


def field(value: Any, conversion: str, spec: str) -> Any:
    """One replacement field as Python formats it (`!conversion:spec`), labelled when its value is."""
    shown = value
    if conversion == "r":
        shown = repr(value)
    elif conversion == "s":
        shown = str(value)
    elif conversion == "a":
        shown = ascii(value)
    result = format(shown, spec)
    if type(result) in TEXT_TYPES or type(value) in _PLAIN_VALUES:
        return result
    leaves = labelled_leaves(value)
    return text(result, ranges_by_search(result, leaves)) if leaves else result


def fstring(template: tuple[Any, ...], values: tuple[Any, ...], specs: tuple[Any, ...]) -> str:
    """An f-string: `template` holds its literal parts (str) and, per field, its conversion (int code)."""
    out: list[str] = []
    pieces: list[tuple[int, Ranges]] = []
    pos = 0
    k = 0
    for item in template:
        if type(item) is str:
            out.append(item)
            pos += len(item)
            continue
        value = values[k]
        spec = specs[k]
        k += 1
        if item == -1 and spec is None and type(value) is LStr:
            piece = value  # the common case: a labelled string as it is
        else:
            piece = field(value, _CONVERSIONS[item], "" if spec is None else spec)
        if type(piece) in TEXT_TYPES:
            pieces.append((pos, piece._ao))
        out.append(piece)
        pos += len(piece)
    return text("".join(out), rg.join_at(pieces))


def plain_fstring(template: tuple[Any, ...], values: tuple[Any, ...], specs: tuple[Any, ...]) -> str:
    """The f-string as Python computes it, without labels."""
    out: list[str] = []
    k = 0
    for item in template:
        if type(item) is str:
            out.append(item)
            continue
        value = values[k]
        conversion = _CONVERSIONS[item]
        shown = repr(value) if conversion == "r" else str(value) if conversion == "s" else ascii(value) if conversion == "a" else value
        out.append(plain(format(shown, "" if specs[k] is None else specs[k])))
        k += 1
    return "".join(out)


def percent(template: Any, args: Any) -> Any:
    """`template % args` (printf-style) with labels from the template and the arguments."""
    result = str.__mod__(template, args)
    if result is NotImplemented:
        return result
    try:
        built = _percent_pieces(template, args)
    except Exception:
        built = None
    if built is not None and built[0] == result:
        return text(result, built[1])
    return text(result, ranges_by_search(result, labelled_leaves((template, args))))


def _percent_pieces(template: str, args: Any) -> tuple[str, Ranges] | None:
    positional = list(args) if type(args) is tuple else [args]
    mapping = args if hasattr(args, "keys") and type(args) is not tuple and not isinstance(args, str) else None
    template_ranges = ranges_of(template)
    out: list[str] = []
    pieces: list[tuple[int, Ranges]] = []
    pos = cursor = 0

    def literal(start: int, end: int, shown: str) -> None:
        nonlocal pos
        if template_ranges:
            pieces.append((pos, rg.scale(rg.clip(template_ranges, start, end), end - start, len(shown))))
        out.append(shown)
        pos += len(shown)

    for m in _PERCENT.finditer(template):
        literal(cursor, m.start(), str.__getitem__(template, slice(cursor, m.start())))
        cursor = m.end()
        kind = m.group("type")
        if kind == "%":
            literal(m.start(), m.end(), "%")
            continue
        width, prec = m.group("width"), m.group("prec")
        if width == "*":
            width = str(positional.pop(0))
        if prec == "*":
            prec = str(positional.pop(0))
        key = m.group("key")
        value = mapping[key] if key is not None and mapping is not None else positional.pop(0)
        spec = f"%{m.group('flags')}{width or ''}{'.' + prec if prec is not None else ''}{kind}"
        shown = spec % (plain(value),)
        pieces.append((pos, _percent_ranges(value, kind, shown, prec)))
        out.append(shown)
        pos += len(shown)
    literal(cursor, len(template), str.__getitem__(template, slice(cursor, None)))
    return "".join(out), rg.join_at(pieces)


def _percent_ranges(value: Any, kind: str, shown: str, prec: str | None) -> Ranges:
    cls = type(value)
    if kind in "sra" and cls not in NUMBER_TYPES:
        rendered = str(value) if kind == "s" else repr(value) if kind == "r" else ascii(value)
        ranges = ranges_of(rendered)
        if ranges:
            kept = len(rendered) if prec is None else min(int(prec), len(rendered))
            at = shown.find(plain(rendered)[:kept])
            return rg.shift(rg.clip(ranges, 0, kept), max(at, 0))
        if cls in _PLAIN_VALUES:
            return ()
        leaves = labelled_leaves(value)
        return ranges_by_search(shown, leaves) if leaves else ()
    if cls in NUMBER_TYPES or cls in TEXT_TYPES:
        return rg.whole(rg.origins_of(ranges_of(value)) if cls in TEXT_TYPES else value._ao, len(shown))
    return ()


def str_format(template: Any, args: tuple[Any, ...], mapping: Any, use_map: bool = False) -> Any:
    """`template.format(*args, **mapping)` (or `format_map(mapping)`) with labels from the template and fields."""
    result = str.format_map(template, mapping) if use_map else str.format(template, *args, **mapping)
    try:
        built = _format_pieces(template, args, mapping, [0], 2)
    except Exception:
        built = None
    if built is not None and built[0] == result:
        return text(result, built[1])
    return text(result, ranges_by_search(result, labelled_leaves((template, args, mapping))))


def _format_pieces(
    template: str, args: tuple[Any, ...], mapping: Any, auto: list[int], depth: int
) -> tuple[str, Ranges]:
    template_ranges = ranges_of(template)
    out: list[str] = []
    pieces: list[tuple[int, Ranges]] = []
    pos = cursor = 0
    for literal, name, spec, conversion in _string.formatter_parser(plain(template)):
        if literal:
            if template_ranges:
                at = str.find(template, literal, cursor)
                if at >= 0:
                    pieces.append((pos, rg.clip(template_ranges, at, at + len(literal))))
                    cursor = at + len(literal)
            out.append(literal)
            pos += len(literal)
        if name is None:
            continue
        first, rest = _string.formatter_field_name_split(name)
        if first == "":
            first = auto[0]
            auto[0] += 1
        value = args[first] if type(first) is int else mapping[first]
        for is_attr, key in rest:
            value = getattr(value, key) if is_attr else value[key]
        if spec and "{" in spec and depth > 0:
            spec = _format_pieces(spec, args, mapping, auto, depth - 1)[0]
        piece = field(value, conversion or "", spec or "")
        ranges = ranges_of(piece)
        if ranges:
            pieces.append((pos, ranges))
        out.append(plain(piece))
        pos += len(piece)
    return "".join(out), rg.join_at(pieces)
