"""Every handler rewritten code calls, by the name written at the call site: the one table the rewriter reads.

- `FUNCTIONS`: a bare call `NAME(*args)` -> `handler(NAME, *args)` (the handler receives the function the
  name resolved to, and labels only when it is the library's own);
- `METHODS`: `receiver.NAME(*args)` -> `handler(receiver, *args)`;
- `FIXED_ARITY`: `(NAME, N)` -> the handler of `receiver.NAME(a1, ..., aN)` with N positional arguments
  and nothing else (no argument packing on the unlabelled path).

Rewritten code reaches them through module objects bound in its prologue (`@f.str(...)`, `@m.join(...)`,
`@m1.join(...)`, ...: `functions`, `methods`, `methods_1`...`methods_3`), read at module-attribute
speed. The C versions are handed out when the helper is built (`compiled.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from ao_instrument.dataflow import regex
from ao_instrument.dataflow.handlers import (
    aggregates,
    compiled,
    conversions,
    json_calls,
    literals,
    map_calls,
    pydantic_models,
    regex_calls,
    rendering,
    str_methods,
    tracebacks,
    transforms,
    unbound_methods,
    url_queries,
)
from ao_instrument.dataflow.handlers.guards import PLAIN, STR, exact_type  # noqa: F401  (read by rewritten code)
from ao_instrument.dataflow.labels import LABELLED  # noqa: F401  (read by rewritten code)

Handler = Callable[..., Any]

# Read by rewritten code besides the tables (bound in its prologue, or as `@ao.NAME`), with the inline
# guards above (`@type(v) in @P`, `@type(x) is not @ao.STR`, `type(x) in @ao.LABELLED`).
COMPILED = compiled.COMPILED  # the rewriter emits one `fs` call per f-string then (no inline guards)
fs = compiled.fs
mod = compiled.mod
real_type = conversions.real_type
unbound = unbound_methods.unbound
UNBOUND = unbound_methods.NAMES

FUNCTIONS: dict[str, Handler] = {
    "str": compiled.f_str,
    "repr": conversions.f_repr,
    "ascii": conversions.f_ascii,
    "format": compiled.f_format,
    "int": conversions.f_int,
    "float": conversions.f_float,
    "bytes": conversions.f_bytes,
    "type": conversions.f_type,
    "intern": conversions.f_intern,
    "loads": json_calls.f_loads,
    "dumps": json_calls.f_dumps,
    "literal_eval": literals.f_literal_eval,
    "urlencode": url_queries.f_urlencode,
    "map": map_calls.f_map,
    **{name: regex_calls.function(name) for name in regex_calls.NAMES},
    **{name: transforms.function(name) for name in transforms.NAMES},
    **{name: aggregates.function(name) for name in aggregates.NAMES},
    **{name: tracebacks.function(name) for name in tracebacks.NAMES},
}

METHODS: dict[str, Handler] = {
    "join": str_methods.m_join,
    "format": compiled.m_format,
    "format_map": compiled.m_format_map,
    "replace": compiled.m_replace,
    "intern": conversions.m_intern,
    "loads": json_calls.m_loads,
    "dumps": json_calls.m_dumps,
    "literal_eval": literals.m_literal_eval,
    "urlencode": url_queries.m_urlencode,
    **{name: regex_calls.method(name) for name in regex_calls.NAMES},
    regex.SPLIT: compiled.split_first_in_c(regex_calls.method(regex.SPLIT)),
    **{name: transforms.method(name) for name in transforms.NAMES},
    **{name: rendering.method(name) for name in rendering.NAMES},
    **{name: pydantic_models.validate_method(name) for name in pydantic_models.VALIDATES},
    **{name: pydantic_models.dump_method(name) for name in pydantic_models.DUMPS},
    **{name: aggregates.method(name) for name in aggregates.NAMES},
    **{name: tracebacks.method(name) for name in tracebacks.NAMES},
}

FIXED_ARITY: dict[tuple[str, int], Handler] = {
    ("join", 1): compiled.m_join_1,
    ("replace", 2): compiled.m_replace_2,
    ("loads", 1): json_calls.m_loads_1,
    ("dumps", 1): json_calls.m_dumps_1,
    **{(name, n): regex_calls.method_n(name, n) for name in regex_calls.NAMES for n in regex_calls.ARITIES},
    **{(regex.SPLIT, n): compiled.split_first_in_c(regex_calls.method_n(regex.SPLIT, n)) for n in regex_calls.ARITIES},
}


def _namespace(name: str, handlers: dict[str, Handler]) -> ModuleType:
    """`handlers` as the attributes of a module object (the fastest attribute lookup rewritten code can do)."""
    namespace = ModuleType(name, "Handlers of rewritten code, by the name written at the call site (registry.py).")
    vars(namespace).update(handlers)
    return namespace


functions = _namespace("functions", FUNCTIONS)
methods = _namespace("methods", METHODS)
methods_1 = _namespace("methods_1", {name: h for (name, n), h in FIXED_ARITY.items() if n == 1})
methods_2 = _namespace("methods_2", {name: h for (name, n), h in FIXED_ARITY.items() if n == 2})
methods_3 = _namespace("methods_3", {name: h for (name, n), h in FIXED_ARITY.items() if n == 3})
