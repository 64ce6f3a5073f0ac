"""What every handler shares: the plain-type guard, the fail-open exit and the library check."""

from __future__ import annotations

import builtins
import sys
from typing import Any

from ao_instrument.dataflow.labels import LABELLED
from ao_instrument.dataflow.structures import has_labels
from ao_instrument.genai.fail_open import report_internal_error

# Types whose values never carry labels: the guard of rewritten code lets them through untouched.
PLAIN = frozenset((str, int, float, bool, type(None), bytes, complex))
exact_type = builtins.type
STR = str
no_labels = LABELLED.isdisjoint
_MODULE = type(sys)


def plain_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """True when no argument can carry a label (shallow types, then a deep look at containers)."""
    if PLAIN.issuperset(map(exact_type, args)) and (not kwargs or PLAIN.issuperset(map(exact_type, kwargs.values()))):
        return True
    return not has_labels(args) and not has_labels(kwargs)


def fail_open(where: str, result: Any) -> Any:
    """Report an internal error while propagating `where`, and give Python's own `result`."""
    report_internal_error(where)
    return result


def from_library(owner: Any, modules: frozenset[str], receiver: bool) -> bool:
    """Whether a function (or, with `receiver`, the object a method is called on) belongs to `modules`.

    Library functions are recognised by their module: a user's own `loads`, `fill`, `escape` or
    `normalize` (a table lookup, say) computes what it computes, and its result is not labelled wholesale.
    """
    try:
        if receiver:
            name = owner.__name__ if exact_type(owner) is _MODULE else exact_type(owner).__module__
        else:
            name = owner.__module__
    except Exception:
        return False
    return name in modules
