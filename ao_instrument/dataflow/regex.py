"""Labels through `re`: matches on labelled text give labelled groups; `findall` and `sub` keep positions."""

from __future__ import annotations

import inspect
import re
import sys
from functools import lru_cache
from typing import Any

from ao_instrument.dataflow import ranges as rg
from ao_instrument.dataflow.labels import TEXT_TYPES, origins_of, plain, ranges_of, text
from ao_instrument.dataflow.ranges import Ranges
from ao_instrument.genai.fail_open import report_internal_error

OPERATIONS = ("search", "match", "fullmatch", "findall", "finditer", "sub", "subn")
SPLIT = "split"  # a method name shared with `str.split`: rewritten with its own inline guard (rewrite.py)
_Pattern = re.Pattern


class LMatch:
    """A `re.Match` on labelled text: groups come out labelled; everything else is the match's own."""

    __slots__ = ("_match", "string")

    def __init__(self, match: re.Match[Any], string: Any) -> None:
        self._match = match
        self.string = string

    def _group(self, group: Any) -> Any:
        value = self._match.group(group)
        if value is None:
            return None
        start, end = self._match.span(group)
        return text(value, rg.clip(self.string._ao, start, end))

    def group(self, *groups: Any) -> Any:
        if len(groups) <= 1:
            return self._group(groups[0] if groups else 0)
        return tuple(self._group(g) for g in groups)

    def __getitem__(self, group: Any) -> Any:
        return self._group(group)

    def groups(self, default: Any = None) -> tuple[Any, ...]:
        return tuple(
            default if self._match.group(i) is None else self._group(i) for i in range(1, self._match.re.groups + 1)
        )

    def groupdict(self, default: Any = None) -> dict[str, Any]:
        return {
            name: default if self._match.group(name) is None else self._group(name)
            for name in self._match.re.groupindex
        }

    def expand(self, template: Any) -> Any:
        result = self._match.expand(template)
        start, end = self._match.span()
        origins = rg.union(rg.origins_of(rg.clip(self.string._ao, start, end)), origins_of(template))
        return text(result, rg.whole(origins, len(result)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._match, name)

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return repr(self._match)


@lru_cache(maxsize=None)
def _signature(owner: Any, name: str) -> inspect.Signature:
    return inspect.signature(getattr(owner, name))


def _bind(receiver: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The compiled pattern and the pattern method's arguments of `re.name(...)` or `pattern.name(...)`."""
    if receiver is re:
        bound = _signature(re, name).bind(*args, **kwargs).arguments
        return re.compile(bound.pop("pattern"), bound.pop("flags", 0)), bound
    bound = _signature(_Pattern, name).bind(receiver, *args, **kwargs).arguments
    bound.pop("self", None)
    return receiver, bound


def call(receiver: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """`receiver.name(*args, **kwargs)` for `re` or a compiled pattern, with labelled results.

    Python's own call runs first (so errors are Python's); the labels are added after, or not at all
    if that fails. `sub` runs Python's own implementation with a recording replacement function.
    """
    if receiver is not re and type(receiver) is not _Pattern:
        return getattr(receiver, name)(*args, **kwargs)
    if name in ("sub", "subn"):
        try:
            pattern, bound = _bind(receiver, name, args, kwargs)
        except TypeError:
            return getattr(receiver, name)(*args, **kwargs)
        return _substitute(pattern, name, bound["repl"], bound["string"], bound.get("count", 0))
    result = getattr(receiver, name)(*args, **kwargs)
    try:
        pattern, bound = _bind(receiver, name, args, kwargs)
        string = bound["string"]
        if type(string) not in TEXT_TYPES or result is None:
            return result
        if name == "finditer":
            return (LMatch(m, string) for m in result)
        if name == SPLIT:
            return _split(pattern, string, bound.get("maxsplit", 0), result)
        if name == "findall":
            pos, endpos = bound.get("pos", 0), bound.get("endpos", sys.maxsize)
            return [_found(LMatch(m, string), pattern.groups) for m in pattern.finditer(string, pos, endpos)]
        return LMatch(result, string)
    except Exception:
        report_internal_error(f"labelling re.{name}")
        return result


def _split(pattern: re.Pattern[Any], string: Any, maxsplit: int, result: list[Any]) -> list[Any]:
    """`pattern.split(string, maxsplit)` (Python's `result`) with each piece and captured group labelled
    by where it sits in `string`: rebuilt from `finditer` as `split` works, and kept only if equal."""
    ranges, base = ranges_of(string), plain(string)
    out: list[Any] = []
    last = 0
    for m in pattern.finditer(base):
        if maxsplit < 0 or maxsplit and len(out) >= maxsplit * (1 + pattern.groups):
            break
        out.append(text(base[last : m.start()], rg.clip(ranges, last, m.start())))
        out.extend(LMatch(m, string).groups())
        last = m.end()
    out.append(text(base[last:], rg.clip(ranges, last, len(base))))
    return out if out == result else result


def _found(match: LMatch, groups: int) -> Any:
    """One item of `findall`: the match, its only group, or the tuple of its groups ('' when unmatched)."""
    if groups == 0:
        return match.group(0)
    if groups == 1:
        return match.groups("")[0]
    return match.groups("")


def _substitute(pattern: re.Pattern[Any], name: str, repl: Any, string: Any, count: int) -> Any:
    """`sub`/`subn` through Python's own implementation, recording each replacement to place its labels."""
    native = getattr(pattern, name)
    labelled = type(string) in TEXT_TYPES
    if not labelled and type(repl) not in TEXT_TYPES and not callable(repl):
        return native(repl, string, count)
    records: list[tuple[int, int, Any]] = []

    def replace(m: re.Match[Any]) -> Any:
        match = LMatch(m, string) if labelled else m
        if callable(repl):
            piece = repl(match)
        elif isinstance(repl, str) and "\\" not in repl or isinstance(repl, bytes) and b"\\" not in repl:
            piece = repl
        else:
            piece = match.expand(repl)
            if not ranges_of(piece):
                piece = text(piece, rg.whole(origins_of(repl), len(piece)))
        records.append((m.start(), m.end(), piece))
        return piece

    result = native(replace, string, count)
    out = result[0] if name == "subn" else result
    try:
        out = text(out, _substituted_ranges(records, ranges_of(string), len(string)))
    except Exception:
        report_internal_error("labelling re.sub")
    return (out, result[1]) if name == "subn" else out


def _substituted_ranges(records: list[tuple[int, int, Any]], subject: Ranges, length: int) -> Ranges:
    pieces: list[tuple[int, Ranges]] = []
    shift = last = 0
    for start, end, piece in records:
        pieces.append((last + shift, rg.clip(subject, last, start)))
        pieces.append((start + shift, ranges_of(piece)))
        shift += len(piece) - (end - start)
        last = end
    pieces.append((last + shift, rg.clip(subject, last, length)))
    return rg.join_at(pieces)
