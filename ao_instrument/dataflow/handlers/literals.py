"""`ast.literal_eval` of labelled text: like `json.loads`, every string and number it gives is labelled
with the origins of where it was written (located by its repr), else of the whole text."""

from __future__ import annotations

from typing import Any

from ao_instrument.dataflow import ranges as rg
from ao_instrument.dataflow.handlers.guards import exact_type, fail_open
from ao_instrument.dataflow.labels import LStr, number, text


def _literal_eval(result: Any, args: tuple[Any, ...]) -> Any:
    source = args[0] if args else None
    if exact_type(source) is not LStr:
        return result
    try:
        return _label_literal(result, source, [0], 0)
    except Exception:
        return fail_open("propagating literal_eval()", result)


def _label_literal(value: Any, source: Any, cursor: list[int], depth: int) -> Any:
    cls = exact_type(value)
    if cls is str or cls is int or cls is float:
        shown = repr(value)
        at = str.find(source, shown, cursor[0])
        if at >= 0:
            cursor[0] = at + len(shown)
            origins = rg.origins_of(rg.clip(source._ao, at, at + len(shown)))
        else:
            origins = rg.origins_of(source._ao)
        return text(value, rg.whole(origins, len(value))) if cls is str else number(value, origins)
    if depth > 8:
        return value
    if cls is list or cls is tuple or cls is set:
        return cls([_label_literal(item, source, cursor, depth + 1) for item in value])
    if cls is dict:
        out = {}
        for key, item in value.items():
            out[_label_literal(key, source, cursor, depth + 1)] = _label_literal(item, source, cursor, depth + 1)
        return out
    return value


def f_literal_eval(f: Any, /, *args: Any, **kwargs: Any) -> Any:
    return _literal_eval(f(*args, **kwargs), args)


def m_literal_eval(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
    return _literal_eval(receiver.literal_eval(*args, **kwargs), args)
