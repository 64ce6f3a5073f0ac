"""`sep.join(...)`, `template.format(...)`/`format_map(...)` and `text.replace(...)`, whose labels come
from the arguments (the Python versions; `compiled.py` picks the C ones when built).

Each `m_NAME(receiver, *args)` stands for `receiver.NAME(*args)`; `m_NAME_N` takes exactly N arguments.
"""

from __future__ import annotations

from typing import Any

from ao_instrument.dataflow import formatting
from ao_instrument.dataflow.handlers.guards import exact_type, fail_open, no_labels, plain_args
from ao_instrument.dataflow.labels import LStr, join
from ao_instrument.dataflow.structures import has_labels, relabel_text


def join_items(receiver: Any, items: Any, /) -> Any:
    """`receiver.join(items)`, the common form (`_speedups.join1` is its C fast path)."""
    if exact_type(receiver) is str or exact_type(receiver) is bytes:
        return _joined(receiver, items)
    return receiver.join(items)


def _joined(receiver: str | bytes, items: Any) -> Any:
    """`receiver.join(items)` of a plain `str` or `bytes` separator: labelled when an item is."""
    if exact_type(items) is not list and exact_type(items) is not tuple:
        items = list(items)
    result = receiver.join(items)
    if len(items) < 16:
        base = exact_type(receiver)
        for item in items:
            if exact_type(item) is not base:
                break
        else:
            return result
    if no_labels(map(exact_type, items)):
        return result
    try:
        return join(receiver, items)
    except Exception:
        return fail_open("propagating join", result)


def m_join(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
    if (exact_type(receiver) is str or exact_type(receiver) is bytes) and len(args) == 1 and not kwargs:
        return _joined(receiver, args[0])
    result = receiver.join(*args, **kwargs)
    if exact_type(result) is not str or not args or plain_args(args, kwargs):
        return result
    try:
        return relabel_text(result, args)
    except Exception:
        return fail_open("propagating join()", result)


def m_format(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
    if exact_type(receiver) is not str:
        return receiver.format(*args, **kwargs)
    result = receiver.format(*args, **kwargs)
    if plain_args(args, kwargs):
        return result
    try:
        return formatting.str_format(receiver, args, kwargs)
    except Exception:
        return fail_open("propagating str.format", result)


def m_format_map(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
    result = receiver.format_map(*args, **kwargs)
    if exact_type(receiver) is not str or len(args) != 1 or kwargs or not has_labels(args[0]):
        return result
    try:
        return formatting.str_format(receiver, (), args[0], use_map=True)
    except Exception:
        return fail_open("propagating str.format_map", result)


def m_replace_2(receiver: Any, old: Any, new: Any, /) -> Any:
    if exact_type(new) is not LStr or exact_type(receiver) is not str:
        return receiver.replace(old, new)
    return m_replace(receiver, old, new)


def m_replace(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
    if exact_type(receiver) is str and len(args) >= 2 and exact_type(args[1]) is LStr:
        labelled = str.__new__(LStr, receiver)
        labelled._ao = ()
        return labelled.replace(*args, **kwargs)
    return receiver.replace(*args, **kwargs)
