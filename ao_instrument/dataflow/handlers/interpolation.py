"""F-strings and `%` on a plain template (the Python versions; `compiled.py` picks the C ones when built)."""

from __future__ import annotations

from typing import Any

from ao_instrument.dataflow import formatting
from ao_instrument.dataflow.handlers.guards import PLAIN, exact_type, fail_open
from ao_instrument.dataflow.structures import has_labels


def fs(template: tuple[Any, ...], /, *args: Any) -> str:
    """A rewritten f-string: `template` holds its literal parts (str) and, per field, its conversion code
    (int), as `(code, spec)` when its format spec is a constant, as `(code,)` when the spec is the argument
    after the field's value. Labelled when a value is (see `formatting.fstring`)."""
    codes: list[Any] = []
    values: list[Any] = []
    specs: list[Any] = []
    rest = iter(args)
    for item in template:
        if exact_type(item) is str:
            codes.append(item)
            continue
        values.append(next(rest))
        if exact_type(item) is tuple:
            codes.append(item[0])
            specs.append(item[1] if len(item) == 2 else next(rest))
        else:
            codes.append(item)
            specs.append(None)
    fields = (tuple(codes), tuple(values), tuple(specs))
    try:
        return formatting.fstring(*fields)
    except Exception:
        result = formatting.plain_fstring(*fields)  # the user's own error, if it is one
        return fail_open("propagating an f-string", result)


def mod(left: Any, right: Any) -> Any:
    """`left % right`, labelled when `left` is a plain string formatting labelled values."""
    result = left % right
    if exact_type(result) is not str or exact_type(right) in PLAIN:
        return result
    try:
        if not has_labels(right):
            return result
        return formatting.percent(left, right)
    except Exception:
        return fail_open("propagating %", result)
