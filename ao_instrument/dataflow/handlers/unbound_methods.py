"""Unbound text methods used as functions (`str.strip`, `str.join(sep, parts)`, `map(str.upper, xs)`),
where the name `str` or `bytes` is written at the call site."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ao_instrument.dataflow.handlers.compiled import m_format, m_format_map, m_join_1
from ao_instrument.dataflow.handlers.guards import exact_type
from ao_instrument.dataflow.labels import TEXT_TYPES, LBytes, LStr

NAMES = frozenset(
    (
        "strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize", "casefold", "swapcase", "split",
        "rsplit", "splitlines", "join", "format", "format_map", "replace", "partition", "rpartition", "center",
        "ljust", "rjust", "zfill", "expandtabs", "translate", "removeprefix", "removesuffix", "encode", "decode",
    )
)  # fmt: skip


def _unbound_method(owner: type, name: str) -> Callable[..., Any]:
    """`owner.name` as a function that dispatches to the labelled method when given a labelled value."""
    if name == "join":
        return lambda self, iterable, /: m_join_1(self, iterable)
    if name == "format":
        return lambda self, /, *args, **kwargs: m_format(self, *args, **kwargs)
    if name == "format_map":
        return lambda self, mapping, /: m_format_map(self, mapping)
    native = getattr(owner, name)
    labelled = getattr(LStr if owner is str else LBytes, name)

    def method(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        return (labelled if exact_type(self) in TEXT_TYPES else native)(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name  # what `str.strip.__name__` answers
    return method


_UNBOUND = {(owner, name): _unbound_method(owner, name) for owner in (str, bytes) for name in NAMES if hasattr(owner, name)}


def unbound(owner: Any, name: str) -> Any:
    """`str.name` / `bytes.name` as written, as a label-keeping function (when `str` is the builtin)."""
    return _UNBOUND.get((owner, name)) or getattr(owner, name)
