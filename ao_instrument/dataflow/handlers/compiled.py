"""The hot handlers in C when the optional helper `_speedups` is built, else their Python versions.

The C functions take the Python ones as fallbacks (anything unusual goes there, with the same
arguments), so both give the same results; this is the one place that picks between them.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable
from typing import Any

from ao_instrument.dataflow.handlers import conversions, interpolation, str_methods
from ao_instrument.dataflow.label_types import _speedups

COMPILED = _speedups is not None  # the rewriter calls `fs` for every f-string then (no inline guards)

fs: Callable[..., Any] = interpolation.fs
mod: Callable[..., Any] = interpolation.mod
f_str: Callable[..., Any] = conversions.f_str
f_format: Callable[..., Any] = conversions.f_format
m_join_1: Callable[..., Any] = str_methods.join_items
m_format: Callable[..., Any] = str_methods.m_format
m_format_map: Callable[..., Any] = str_methods.m_format_map
m_replace: Callable[..., Any] = str_methods.m_replace
m_replace_2: Callable[..., Any] = str_methods.m_replace_2

if _speedups is not None:
    _speedups.set_fallbacks(
        str_methods.join_items, interpolation.fs, interpolation.mod, str_methods.m_format, str_methods.m_format_map,
        str_methods.m_replace, conversions.f_str, conversions.f_format, builtins.format,
    )  # fmt: skip
    fs = _speedups.fs
    mod = _speedups.mod
    f_str = _speedups.f_str
    f_format = _speedups.f_format
    m_join_1 = _speedups.join1
    m_format = _speedups.m_format
    m_format_map = _speedups.m_format_map
    m_replace = m_replace_2 = _speedups.m_replace


def split_first_in_c(handler: Callable[..., Any]) -> Callable[..., Any]:
    """`handler`, except that a labelled receiver splits in C when the helper is built."""
    return handler if _speedups is None else functools.partial(_speedups.split_or, handler)
