"""Sinks: find the origins inside an SDK request (the keyword arguments of the call), with their paths.

The request is walked as data (dicts, lists, tuples, pydantic models such as SDK messages passed
back in); every labelled value adds its origins with the path where it was first seen, like
`messages[2].content`. Unlabelled text is collected for content matching.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ao_instrument.dataflow import ranges as rg
from ao_instrument.dataflow.labels import LABELLED, TEXT_TYPES, LStr, plain
from ao_instrument.dataflow.scopes import Origin

MAX_NODES = 20_000
MAX_DEPTH = 24
MIN_FRAGMENT = 16  # shorter unlabelled text is never content-matched
_SKIP = frozenset((int, float, bool, type(None), bytes))
_KEYS = frozenset((str, int))


@dataclass
class Scan:
    """What a request holds: origins by first path, unlabelled text fragments, and all its strings."""

    found: dict[Origin, tuple[Any, ...]] = field(default_factory=dict)  # origin -> first path
    fragments: list[tuple[tuple[Any, ...], str]] = field(default_factory=list)  # (path, text)
    texts: list[str] = field(default_factory=list)


def format_path(path: tuple[Any, ...]) -> str:
    """`("messages", 2, "content")` -> `messages[2].content`."""
    out = []
    for key in path:
        if type(key) is int:
            out.append(f"[{key}]")
        elif out:
            out.append(f".{key}")
        else:
            out.append(str(key))
    return "".join(out)


def scan(request: Mapping[str, Any]) -> Scan:
    result = Scan()
    budget = [MAX_NODES]
    for key, value in request.items():
        _walk(value, (key if type(key) is str else plain(key),), result, budget, 0)
    return result


def _walk(value: Any, path: tuple[Any, ...], out: Scan, budget: list[int], depth: int) -> None:
    cls = type(value)
    if cls is str:
        out.texts.append(value)
        if len(value) >= MIN_FRAGMENT:
            out.fragments.append((path, value))
        return
    if cls in _SKIP:
        return
    if cls in LABELLED:
        _labelled(value, path, out)
        return
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        return
    if cls is dict or isinstance(value, Mapping):
        items: Any = value.items()
    elif cls is list or cls is tuple:
        items = enumerate(value)
    elif getattr(cls, "__pydantic_fields__", None) is not None:
        extra = getattr(value, "__pydantic_extra__", None)
        items = list(value.__dict__.items()) + (list(extra.items()) if type(extra) is dict else [])
    elif isinstance(value, str):  # a library's own `str` subclass (LangChain's `message.text`): plain text
        _walk(str.__str__(value), path, out, budget, depth)
        return
    else:
        return
    texts, fragments = out.texts, out.fragments
    for key, item in items:
        kind = type(item)
        if kind is str:
            texts.append(item)
            if len(item) >= MIN_FRAGMENT:
                fragments.append(((*path, key if type(key) is str else plain(key)), item))
        elif kind not in _SKIP:
            _walk(item, (*path, key if type(key) in _KEYS else plain(key)), out, budget, depth + 1)


def _labelled(value: Any, path: tuple[Any, ...], out: Scan) -> None:
    cls = type(value)
    found = out.found
    if cls in TEXT_TYPES:
        ranges = value._ao
        for _, _, origins in ranges:
            for origin in origins:
                if origin not in found:
                    found[origin] = path
        if cls is LStr:
            gaps = rg.gaps(ranges, len(value))
            if gaps:
                shown = plain(value)
                out.texts.append(shown)
                for start, end in gaps:
                    if end - start >= MIN_FRAGMENT:
                        out.fragments.append((path, shown[start:end]))
            else:
                out.texts.append(value)
        return
    for origin in value._ao:
        if origin not in found:
            found[origin] = path
