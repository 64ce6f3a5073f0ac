"""Library code that rebuilds values and would drop labels, patched while tracking is on.

- `pydantic.BaseModel.__init__`: validation returns new `str` objects, so fields validated from
  labelled input take the labels of the input they came from.
- `openai.types.responses.Response.output_text`: joins the output texts in SDK code.
- PyYAML's dumpers pick representers by exact type: labelled values are represented as their bases.
- `pathlib._Flavour.parse_parts` (Python < 3.12) interns every path part, and `sys.intern` refuses a
  `str` subclass (`Path(dir) / title` would raise): path parts are made plain first. Paths do not
  carry labels.
- `string.Formatter.vformat` (behind `Formatter().format`) joins the formatted fields in library code:
  the labelled arguments are located in its result.
- `logging.LogRecord.getMessage` (`msg % args`) and `logging.Formatter.format` (the record laid out by
  `%`): the labelled message and arguments are located in the text they produce, so log lines a
  handler collects keep their labels.

Each is patched when its module is imported (at once when it already is): tracking imports none of them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from wrapt import register_post_import_hook

from ao_instrument.dataflow.labels import TEXT_TYPES, plain
from ao_instrument.dataflow.propagation import PLAIN, exact_type
from ao_instrument.dataflow.structures import has_labels, relabel_like, relabel_text
from ao_instrument.genai.fail_open import report_internal_error

_originals: list[tuple[Any, str, Any]] = []


def _model_init(original: Callable[..., None]) -> Callable[..., None]:
    def __init__(self: Any, /, **data: Any) -> None:
        original(self, **data)
        if data and not PLAIN.issuperset(map(exact_type, data.values())):
            try:
                if has_labels(data):
                    relabel_like(self, data)
            except Exception:
                report_internal_error("labelling a pydantic model")

    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]  # pydantic: not a custom __init__
    __init__.__doc__ = original.__doc__
    return __init__


def _output_text(original: property) -> property:
    def output_text(self: Any) -> str:
        result = original.fget(self)  # type: ignore[misc]
        try:
            return relabel_text(result, self.output)
        except Exception:
            report_internal_error("labelling Response.output_text")
            return result

    return property(output_text, doc=original.__doc__)


def _parse_parts(original: Callable[..., Any]) -> Callable[..., Any]:
    def parse_parts(self: Any, parts: Any) -> Any:
        if not PLAIN.issuperset(map(exact_type, parts)):
            parts = [plain(part) if exact_type(part) in TEXT_TYPES else part for part in parts]
        return original(self, parts)

    parse_parts.__doc__ = original.__doc__
    return parse_parts


def _relabelled(result: str, inputs: tuple[Any, ...], where: str) -> Any:
    """`result` (text a library built from `inputs`) labelled where labelled inputs appear in it."""
    try:
        return relabel_text(result, inputs) if has_labels(inputs) else result
    except Exception:
        report_internal_error(where)
        return result


def _vformat(original: Callable[..., Any]) -> Callable[..., Any]:
    def vformat(self: Any, format_string: Any, args: Any, kwargs: Any) -> Any:
        result = original(self, format_string, args, kwargs)
        if exact_type(result) is not str:
            return result
        return _relabelled(result, (format_string, args, kwargs), "labelling string.Formatter.vformat")

    vformat.__doc__ = original.__doc__
    return vformat


def _plain_record(msg: Any, args: Any) -> bool:
    """Whether a log record's message and arguments cannot carry a label (the cheap common case)."""
    if exact_type(msg) not in PLAIN:
        return False
    return not args or exact_type(args) is tuple and PLAIN.issuperset(map(exact_type, args))


def _get_message(original: Callable[..., Any]) -> Callable[..., Any]:
    def getMessage(self: Any) -> Any:
        result = original(self)
        if exact_type(result) is not str or _plain_record(self.msg, self.args):
            return result
        return _relabelled(result, (self.msg, self.args), "labelling LogRecord.getMessage")

    getMessage.__doc__ = original.__doc__
    return getMessage


def _log_format(original: Callable[..., Any]) -> Callable[..., Any]:
    def format(self: Any, record: Any) -> Any:
        result = original(self, record)
        if exact_type(result) is not str or _plain_record(getattr(record, "msg", None), getattr(record, "args", None)):
            return result
        inputs = (record.__dict__.get("message"), getattr(record, "msg", None), getattr(record, "args", None))
        return _relabelled(result, inputs, "labelling logging.Formatter.format")

    format.__doc__ = original.__doc__
    return format


_PATCHES: tuple[tuple[str, str, str, Callable[[Any], Any]], ...] = (
    ("pydantic", "BaseModel", "__init__", _model_init),
    ("openai.types.responses.response", "Response", "output_text", _output_text),
    ("pathlib", "_Flavour", "parse_parts", _parse_parts),
    ("string", "Formatter", "vformat", _vformat),
    ("logging", "LogRecord", "getMessage", _get_message),
    ("logging", "Formatter", "format", _log_format),
)


def _yaml_representers(yaml: ModuleType) -> None:
    from ao_instrument.dataflow.labels import LFloat, LInt, LStr

    base = yaml.representer.SafeRepresenter
    for dumper in (yaml.SafeDumper, yaml.Dumper):
        for cls, represent in ((LStr, base.represent_str), (LInt, base.represent_int), (LFloat, base.represent_float)):
            dumper.add_representer(cls, represent)


_YAML = "yaml"
_active = False
_hooked: set[str] = set()  # modules with a post-import hook (one each, for the life of the process)


def install() -> None:
    """Patch every library above, now or when it is imported."""
    global _active
    if _active:
        return
    _active = True
    for module_name in dict.fromkeys([_YAML, *(patch[0] for patch in _PATCHES)]):
        if module_name not in _hooked:
            _hooked.add(module_name)
            register_post_import_hook(_patch_module, module_name)  # runs at once when already imported
        elif module_name in sys.modules:
            _patch_module(sys.modules[module_name])


def _patch_module(module: ModuleType) -> None:
    if not _active:
        return
    name = module.__name__
    if name == _YAML:
        try:
            _yaml_representers(module)
        except Exception:
            report_internal_error("registering labelled values with PyYAML")
        return
    for module_name, class_name, attr, wrap in _PATCHES:
        if module_name != name:
            continue
        owner = getattr(module, class_name, None)
        original = owner.__dict__.get(attr) if owner is not None else None
        if original is None or any(o is owner and a == attr for o, a, _ in _originals):
            continue
        _originals.append((owner, attr, original))
        setattr(owner, attr, wrap(original))


def uninstall() -> None:
    global _active
    _active = False
    while _originals:
        owner, attr, original = _originals.pop()
        setattr(owner, attr, original)
