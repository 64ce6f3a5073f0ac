"""Labelled values, complete: the types of `label_types` with LStr's formatting (`%`, `format`, `format_map`).

`label_types` holds the types and `formatting` builds on them; this module adds the formatting methods
to LStr, then the optional C methods, so every importer of labelled values gets the finished types.
"""

from __future__ import annotations

from typing import Any

from ao_instrument.dataflow import formatting
from ao_instrument.dataflow.label_types import (
    BASE_TYPE,
    BUDGET,
    LABEL_BUDGET,
    LABELLED,
    NUMBER_TYPES,
    TEXT_TYPES,
    LBytes,
    LFloat,
    LInt,
    LStr,
    guard,
    install_speedups,
    join,
    number,
    origins_in,
    origins_of,
    plain,
    ranges_of,
    refill_budget,
    text,
)

__all__ = [
    "BASE_TYPE",
    "BUDGET",
    "LABEL_BUDGET",
    "LABELLED",
    "NUMBER_TYPES",
    "TEXT_TYPES",
    "LBytes",
    "LFloat",
    "LInt",
    "LStr",
    "join",
    "number",
    "origins_in",
    "origins_of",
    "plain",
    "ranges_of",
    "refill_budget",
    "text",
]


class _Formatting:
    """LStr's formatting methods (the work is in `formatting`)."""

    def __mod__(self, args: Any) -> Any:
        return formatting.percent(self, args)

    def __rmod__(self, template: Any) -> Any:
        if not isinstance(template, str):
            return NotImplemented
        return formatting.percent(template, self)

    def format(self, *args: Any, **kwargs: Any) -> Any:
        return formatting.str_format(self, args, kwargs)

    def format_map(self, mapping: Any) -> Any:
        return formatting.str_format(self, (), mapping, use_map=True)


LStr.__mod__ = _Formatting.__mod__  # type: ignore[method-assign]
LStr.__rmod__ = _Formatting.__rmod__  # type: ignore[method-assign]
LStr.format = guard(_Formatting.format, True)  # type: ignore[method-assign]
LStr.format_map = guard(_Formatting.format_map, True)  # type: ignore[method-assign]
install_speedups()
