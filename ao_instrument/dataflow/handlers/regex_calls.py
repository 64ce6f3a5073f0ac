"""`re` operations (`search`, `match`, `findall`, `sub`, ..., `split`) as module functions, `re.NAME(...)`
and compiled-pattern methods: labelled pieces and groups from `regex.py` when an argument is labelled.

`split` is also `str.split`: the rewriter calls its handlers only when the receiver is not a plain
`str`/`bytes` (a labelled text, `re`, a compiled pattern, anything else), and the receiver's own
`split` runs when it is not `re`'s.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

from ao_instrument.dataflow import regex
from ao_instrument.dataflow.handlers.guards import exact_type, no_labels
from ao_instrument.dataflow.labels import LABELLED

NAMES = regex.OPERATIONS
ARITIES = (1, 2, 3)  # the positional arities with a handler that takes exactly that many
_RE_FUNCTIONS = {getattr(re, name): name for name in NAMES}


def method(name: str) -> Callable[..., Any]:
    """`receiver.name(*args, **kwargs)`."""

    def regex_method(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
        if no_labels(map(exact_type, args)) and not kwargs and not any(map(callable, args)):
            return getattr(receiver, name)(*args, **kwargs)
        return regex.call(receiver, name, args, kwargs)

    return regex_method


def method_n(name: str, arity: int) -> Callable[..., Any]:
    """`receiver.name(a[, b[, c]])` without argument packing on the unlabelled path."""
    labelled = LABELLED
    substitutes = name in ("sub", "subn")

    def regex_method_n(receiver: Any, /, *args: Any) -> Any:
        for value in args:
            if exact_type(value) in labelled or substitutes and callable(value):
                return regex.call(receiver, name, args, {})
        return getattr(receiver, name)(*args)

    if arity == 1:

        def regex_method_n(receiver: Any, a: Any, /) -> Any:  # type: ignore[misc]  # noqa: F811
            if exact_type(a) in labelled or substitutes and callable(a):
                return regex.call(receiver, name, (a,), {})
            return getattr(receiver, name)(a)

    elif arity == 2:

        def regex_method_n(receiver: Any, a: Any, b: Any, /) -> Any:  # type: ignore[misc]  # noqa: F811
            if exact_type(a) in labelled or exact_type(b) in labelled or substitutes and (callable(a) or callable(b)):
                return regex.call(receiver, name, (a, b), {})
            return getattr(receiver, name)(a, b)

    return regex_method_n


def function(name: str) -> Callable[..., Any]:
    """`name(*args, **kwargs)` of a bare name: labelled when it is `re`'s own function."""
    labelled_method = method(name)

    def regex_function(f: Any, /, *args: Any, **kwargs: Any) -> Any:
        if _RE_FUNCTIONS.get(f) == name:
            return labelled_method(sys.modules["re"], *args, **kwargs)
        return f(*args, **kwargs)

    return regex_function
