"""`traceback.format_exc()`, `format_exception*`: the labelled text of the exception (its args,
attributes) is located in the formatted traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from ao_instrument.dataflow.handlers.guards import exact_type, fail_open
from ao_instrument.dataflow.structures import has_labels, relabel_text

NAMES = ("format_exc", "format_exception", "format_exception_only")


def _traceback_text(result: Any, name: str, args: tuple[Any, ...]) -> Any:
    inputs = args if args else sys.exc_info()[1]
    if exact_type(result) not in (str, list) or not has_labels(inputs):
        return result
    try:
        if exact_type(result) is str:
            return relabel_text(result, inputs)
        return [relabel_text(item, inputs) for item in result]
    except Exception:
        return fail_open(f"propagating traceback.{name}()", result)


def method(name: str) -> Callable[..., Any]:
    """`traceback.name(*args, **kwargs)`."""

    def traceback_method(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = getattr(receiver, name)(*args, **kwargs)
        if receiver is not sys.modules.get("traceback"):
            return result
        return _traceback_text(result, name, args)

    return traceback_method


def function(name: str) -> Callable[..., Any]:
    """`name(*args, **kwargs)` of a bare name: labelled when it is `traceback`'s own function."""

    def traceback_function(f: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = f(*args, **kwargs)
        module = sys.modules.get("traceback")
        if module is None or f is not getattr(module, name, None):
            return result
        return _traceback_text(result, name, args)

    return traceback_function
