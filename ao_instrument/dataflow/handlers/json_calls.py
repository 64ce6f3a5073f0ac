"""`json.loads`/`json.dumps` (and the `loads` of other loaders: `pickle`, `orjson`, ...), as functions or
module attributes: every string and number loaded from labelled text is labelled where it was written,
and a labelled value's text in a dump keeps its labels."""

from __future__ import annotations

from typing import Any

from ao_instrument.dataflow import json_flow
from ao_instrument.dataflow.handlers.guards import PLAIN, exact_type, fail_open, from_library
from ao_instrument.dataflow.labels import TEXT_TYPES
from ao_instrument.dataflow.structures import json_has_labels

LOADERS = frozenset(("json", "simplejson", "orjson", "ujson", "rapidjson", "pickle", "_pickle", "marshal"))


def m_loads_1(receiver: Any, source: Any, /) -> Any:
    result = receiver.loads(source)
    if exact_type(source) not in TEXT_TYPES or not from_library(receiver, LOADERS, True):
        return result
    return _loaded(result, (source,))


def m_loads(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
    result = receiver.loads(*args, **kwargs)
    return _loaded(result, args) if from_library(receiver, LOADERS, True) else result


def f_loads(f: Any, /, *args: Any, **kwargs: Any) -> Any:
    result = f(*args, **kwargs)
    return _loaded(result, args) if from_library(f, LOADERS, False) else result


def _loaded(result: Any, args: tuple[Any, ...]) -> Any:
    if not args or exact_type(args[0]) not in TEXT_TYPES:
        return result
    try:
        return json_flow.label_loaded(result, args[0])
    except Exception:
        return fail_open("propagating json.loads", result)


def m_dumps_1(receiver: Any, value: Any, /) -> Any:
    return _dumped(receiver.dumps(value), (value,), {})


def m_dumps(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
    return _dumped(receiver.dumps(*args, **kwargs), args, kwargs)


def f_dumps(f: Any, /, *args: Any, **kwargs: Any) -> Any:
    return _dumped(f(*args, **kwargs), args, kwargs)


def _dumped(result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if exact_type(result) is not str or not args or exact_type(args[0]) in PLAIN or not json_has_labels(args[0]):
        return result
    try:
        return json_flow.label_dumped(result, args[0], kwargs.get("ensure_ascii", True))
    except Exception:
        return fail_open("propagating json.dumps", result)
