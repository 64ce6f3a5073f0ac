"""Builtins called by name: `str`, `repr`, `ascii`, `format`, `int`, `float`, `bytes`, `type`, `sys.intern`.

Each `f_NAME(f, *args)` stands for `NAME(*args)` and receives the function the name resolved to.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from ao_instrument.dataflow.handlers.guards import PLAIN, exact_type, fail_open
from ao_instrument.dataflow.labels import BASE_TYPE, TEXT_TYPES, LBytes, LStr, number, origins_of, plain, text
from ao_instrument.dataflow.structures import relabel_text


def f_str(f: Any, /, *args: Any, **kwargs: Any) -> Any:
    result = f(*args, **kwargs)
    if f is not str or exact_type(result) is not str or not args:
        return result
    value = args[0]
    try:
        if exact_type(value) is LBytes:
            return value.decode(*args[1:], **kwargs)
        return relabel_text(result, value)
    except Exception:
        return fail_open("propagating str()", result)


def _rendering(where: str) -> Callable[..., Any]:
    """`repr`/`ascii`/`format` of a value that is not plain: the result takes its labels."""

    def rendered(f: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = f(*args, **kwargs)
        if exact_type(result) is not str or not args or exact_type(args[0]) in PLAIN:
            return result
        try:
            return relabel_text(result, args[0])
        except Exception:
            return fail_open(where, result)

    return rendered


f_repr = _rendering("propagating repr()")
f_ascii = _rendering("propagating ascii()")
f_format = _rendering("propagating format()")


def _to_number(where: str) -> Callable[..., Any]:
    """`int`/`float` of a labelled value: the number takes its origins."""

    def converted(f: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = f(*args, **kwargs)
        if not args or exact_type(result) not in (int, float):
            return result
        try:
            return number(result, origins_of(args[0]))
        except Exception:
            return fail_open(where, result)

    return converted


f_int = _to_number("propagating int()")
f_float = _to_number("propagating float()")


def f_bytes(f: Any, /, *args: Any, **kwargs: Any) -> Any:
    result = f(*args, **kwargs)
    if f is not bytes or not args or exact_type(args[0]) not in TEXT_TYPES:
        return result
    try:
        if exact_type(args[0]) is LStr:
            return args[0].encode(*args[1:], **kwargs) if len(args) > 1 or kwargs else result
        return text(result, args[0]._ao)
    except Exception:
        return fail_open("propagating bytes()", result)


def f_type(f: Any, /, *args: Any, **kwargs: Any) -> Any:
    """`type(x)` answers `str` (not the labelled subclass), so user code sees no difference."""
    result = f(*args, **kwargs)
    return BASE_TYPE.get(result, result) if len(args) == 1 else result


def real_type(cls: Any) -> Any:
    """The builtin type a labelled type stands for (`type(x)` of one argument, checked inline)."""
    return BASE_TYPE.get(cls, cls)


def _intern(value: Any) -> Any:
    return sys.intern(plain(value))


def f_intern(f: Any, /, *args: Any, **kwargs: Any) -> Any:
    if f is sys.intern and len(args) == 1:
        return _intern(args[0])
    return f(*args, **kwargs)


def m_intern(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
    if receiver is sys and len(args) == 1:
        return _intern(args[0])
    return receiver.intern(*args, **kwargs)
