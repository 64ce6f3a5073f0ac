"""`map(f, ...)` with a builtin or a bound text method as `f` (`map(int, texts)`, `map("- {}".format, items)`,
`map(sep.join, rows)`): `map` calls it from C, where labels are lost, so it is given a label-keeping
function instead when an iterable may hold a labelled value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ao_instrument.dataflow.handlers.compiled import f_format, m_format, m_format_map, m_join_1
from ao_instrument.dataflow.handlers.conversions import f_ascii, f_bytes, f_float, f_int, f_repr
from ao_instrument.dataflow.handlers.guards import PLAIN, exact_type


class _BoundText:
    """`sep.join`/`template.format`/`template.format_map` of a plain `str` as a function that keeps labels."""

    __slots__ = ("_method", "_call")

    def __init__(self, method: Any, call: Callable[..., Any]) -> None:
        self._method = method
        self._call = call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._method, name)

    def __repr__(self) -> str:
        return repr(self._method)


_BOUND: dict[str, Callable[[str], Callable[..., Any]]] = {
    "join": lambda r: lambda items, /: m_join_1(r, items),
    "format": lambda r: lambda *a, **k: m_format(r, *a, **k),
    "format_map": lambda r: lambda mapping, /: m_format_map(r, mapping),
}
_BUILTIN_METHOD = type("".join)
_MAPPED = ((int, f_int), (float, f_float), (repr, f_repr), (format, f_format), (bytes, f_bytes), (ascii, f_ascii))


def _label_keeping(function: Any) -> Any:
    """`function` as one that keeps labels (a builtin that loses them, a bound text method), else itself."""
    for builtin, helper in _MAPPED:
        if function is builtin:
            return lambda *args, **kwargs: helper(builtin, *args, **kwargs)
    if exact_type(function) is _BUILTIN_METHOD and exact_type(function.__self__) is str and function.__name__ in _BOUND:
        return _BoundText(function, _BOUND[function.__name__](function.__self__))
    return function


def _plain_sequence(iterable: Any) -> bool:
    cls = exact_type(iterable)
    return (cls is list or cls is tuple) and PLAIN.issuperset(map(exact_type, iterable))


def f_map(f: Any, /, *args: Any, **kwargs: Any) -> Any:
    if f is not map or len(args) < 2 or kwargs:
        return f(*args, **kwargs)
    function = _label_keeping(args[0])
    if function is args[0] or all(map(_plain_sequence, args[1:])):
        return map(*args)
    return map(function, *args[1:])
