"""Templates and pretty-printers (`string.Template.substitute`, a template's `render`, `pformat`,
`model_dump_json`, `to_json`): the labelled inputs are located in the text they produce."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from ao_instrument.dataflow import regex
from ao_instrument.dataflow.handlers.guards import PLAIN, exact_type, fail_open, plain_args
from ao_instrument.dataflow.structures import relabel_text

NAMES = ("substitute", "safe_substitute", "render", "pformat", "model_dump_json", "to_json")
_TEMPLATE_METHODS = ("substitute", "safe_substitute")
_RENDERS_ITSELF = ("model_dump_json", "to_json", "pformat")  # the receiver's own text is an input too


class _RecordingPattern:
    """A `string.Template`'s pattern whose `sub` goes through `regex` (labelled pieces, Python's own `sub`)."""

    def __init__(self, pattern: Any) -> None:
        self._pattern = pattern

    def sub(self, repl: Any, string: Any, count: int = 0) -> Any:
        return regex.call(self._pattern, "sub", (repl, string, count), {})

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pattern, name)


def _template_substitute(receiver: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """`string.Template.substitute`/`safe_substitute` run once, by the template's own code, on a copy whose
    pattern labels what `sub` builds: a template written by an LLM keeps its labels, and so do values."""
    if exact_type(getattr(receiver, "template", None)) in PLAIN and plain_args(args, kwargs):
        return getattr(receiver, name)(*args, **kwargs)
    try:
        proxy = object.__new__(exact_type(receiver))
        proxy.__dict__.update(receiver.__dict__)
        proxy.pattern = _RecordingPattern(receiver.pattern)
    except Exception:
        return fail_open(f"propagating {name}()", getattr(receiver, name)(*args, **kwargs))
    return getattr(proxy, name)(*args, **kwargs)


def method(name: str) -> Callable[..., Any]:
    """`receiver.name(*args, **kwargs)`."""
    is_template = name in _TEMPLATE_METHODS
    renders_itself = name in _RENDERS_ITSELF

    def render_method(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
        if is_template and "string" in sys.modules and isinstance(receiver, sys.modules["string"].Template):
            return _template_substitute(receiver, name, args, kwargs)
        result = getattr(receiver, name)(*args, **kwargs)
        if exact_type(result) is not str:
            return result
        try:
            return relabel_text(result, (receiver, args, kwargs) if renders_itself else (args, kwargs))
        except Exception:
            return fail_open(f"propagating {name}()", result)

    return render_method
