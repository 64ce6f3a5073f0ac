"""Labels through `re`: matches on labelled text give labelled groups; `findall` and `sub` keep positions."""

from __future__ import annotations

import inspect
import re
import sys
from functools import lru_cache
from typing import Any

from ao_instrument.dataflow import ranges as rg
from ao_instrument.dataflow.labels import TEXT_TYPES, origins_of, ranges_of, text
from ao_instrument.dataflow.ranges import Ranges

OPERATIONS = ("search", "match", "fullmatch", "findall", "finditer", "sub", "subn")
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


def call(receiver: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """`receiver.name(*args, **kwargs)` for `re` or a compiled pattern, with labelled results."""
    if receiver is re:
        bound = _signature(re, name).bind(*args, **kwargs).arguments
        pattern = re.compile(bound.pop("pattern"), bound.pop("flags", 0))
    elif type(receiver) is _Pattern:
        bound = _signature(_Pattern, name).bind(*args, **kwargs).arguments
        pattern = receiver
    else:
        return getattr(receiver, name)(*args, **kwargs)
    string = bound["string"]
    if name in ("sub", "subn"):
        return _substitute(pattern, name, bound["repl"], string, bound.get("count", 0))
    pos, endpos = bound.get("pos", 0), bound.get("endpos", sys.maxsize)
    if type(string) not in TEXT_TYPES:
        return getattr(pattern, name)(string, pos, endpos)
    if name == "finditer":
        return (LMatch(m, string) for m in pattern.finditer(string, pos, endpos))
    if name == "findall":
        return [_found(LMatch(m, string), pattern.groups) for m in pattern.finditer(string, pos, endpos)]
    found = getattr(pattern, name)(string, pos, endpos)
    return None if found is None else LMatch(found, string)


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
    subject = ranges_of(string)
    pieces: list[tuple[int, Ranges]] = []
    shift = last = 0
    for start, end, piece in records:
        pieces.append((last + shift, rg.clip(subject, last, start)))
        pieces.append((start + shift, ranges_of(piece)))
        shift += len(piece) - (end - start)
        last = end
    pieces.append((last + shift, rg.clip(subject, last, len(string))))
    out = text(out, rg.join_at(pieces))
    return (out, result[1]) if name == "subn" else out
