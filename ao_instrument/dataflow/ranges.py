"""Range algebra: which parts of a text came from which origins.

`Ranges` is a tuple of `(start, end, origins)` sorted by position, not overlapping, `origins` a tuple
of distinct `Origin` objects. Adjacent ranges with the same origins are merged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Origins = tuple[Any, ...]
Ranges = tuple[tuple[int, int, Origins], ...]

MAX_RANGES = 512  # beyond this a text is labelled coarsely (one range per origin set is enough to link)


def union(a: Origins, b: Origins) -> Origins:
    if a is b or a == b:
        return a
    return tuple(dict.fromkeys(a + b))


def origins_of(ranges: Ranges) -> Origins:
    """Every origin of `ranges`, in order of first appearance."""
    if len(ranges) == 1:
        return ranges[0][2]
    found: dict[Any, None] = {}
    for _, _, origins in ranges:
        for origin in origins:
            found[origin] = None
    return tuple(found)


def whole(origins: Origins, length: int) -> Ranges:
    """One range over a whole text of `length`."""
    return ((0, length, origins),) if origins and length > 0 else ()


def shift(ranges: Ranges, offset: int) -> Ranges:
    if not offset or not ranges:
        return ranges
    if len(ranges) == 1:
        s, e, o = ranges[0]
        return ((s + offset, e + offset, o),)
    return tuple([(s + offset, e + offset, o) for s, e, o in ranges])


def clip(ranges: Ranges, start: int, stop: int) -> Ranges:
    """The part of `ranges` in `[start, stop)`, re-based at `start`."""
    if stop <= start:
        return ()
    if len(ranges) == 1:
        s, e, o = ranges[0]
        if e <= start or s >= stop:
            return ()
        if s >= start and e <= stop:
            return ((s - start, e - start, o),) if start else ranges
        return ((max(s, start) - start, min(e, stop) - start, o),)
    out = []
    for s, e, o in ranges:
        if e <= start:
            continue
        if s >= stop:
            break
        out.append((max(s, start) - start, min(e, stop) - start, o))
    return tuple(out)


def stepped(ranges: Ranges, start: int, step: int, count: int) -> Ranges:
    """Ranges of `text[start::step]` (first `count` items) for a step other than 1."""
    pieces: list[tuple[int, Ranges]] = []
    for j in range(count):
        i = start + j * step
        for s, e, o in ranges:
            if s <= i < e:
                pieces.append((j, ((0, 1, o),)))
                break
    return join_at(pieces)


def join_at(pieces: Iterable[tuple[int, Ranges]]) -> Ranges:
    """Ranges of pieces placed at increasing offsets, merged."""
    if type(pieces) is list and len(pieces) == 1:
        return shift(pieces[0][1], pieces[0][0])
    out: list[tuple[int, int, Origins]] = []
    for offset, ranges in pieces:
        for s, e, o in ranges:
            s += offset
            e += offset
            if out:
                ps, pe, po = out[-1]
                if pe == s and (po is o or po == o):
                    out[-1] = (ps, e, po)
                    continue
            out.append((s, e, o))
    if len(out) > MAX_RANGES:
        return coarse(tuple(out), out[-1][1])
    return tuple(out)


def concat(left: Ranges, left_len: int, right: Ranges) -> Ranges:
    if not right:
        return left
    if not left:
        return shift(right, left_len)
    if len(left) == 1 and len(right) == 1:
        ls, le, lo = left[0]
        rs, re_, ro = right[0]
        if le == left_len and rs == 0 and (lo is ro or lo == ro):
            return ((ls, left_len + re_, lo),)
        return (left[0], (rs + left_len, re_ + left_len, ro))
    return join_at([(0, left), (left_len, right)])


def repeat(ranges: Ranges, length: int, times: int) -> Ranges:
    if times <= 0 or not ranges:
        return ()
    if len(ranges) * times > MAX_RANGES:
        return coarse(ranges, length * times)
    return join_at((i * length, ranges) for i in range(times))


def coarse(ranges: Ranges, length: int) -> Ranges:
    """All origins of `ranges` over the whole of a text of `length` (when positions cannot be kept)."""
    return whole(origins_of(ranges), length) if ranges else ()


def scale(ranges: Ranges, old_len: int, new_len: int) -> Ranges:
    """Ranges of a text transformed to `new_len` characters position by position (same or coarse)."""
    if old_len == new_len:
        return ranges
    return coarse(ranges, new_len)


def covers(ranges: Ranges, length: int, origin: Any) -> bool:
    """Whether `origin` labels every position of a text of `length`."""
    pos = 0
    for s, e, o in ranges:
        if s != pos or origin not in o:
            return False
        pos = e
    return pos >= length


def gaps(ranges: Ranges, length: int) -> list[tuple[int, int]]:
    """The unlabelled stretches of a text of `length`."""
    out = []
    pos = 0
    for s, e, _ in ranges:
        if s > pos:
            out.append((pos, s))
        pos = e
    if pos < length:
        out.append((pos, length))
    return out
