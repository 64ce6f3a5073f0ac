"""Library code that rebuilds values and would drop labels, patched while tracking is on.

- `pydantic.BaseModel.__init__`, `model_validate`, `model_validate_json`, `model_validate_strings` and
  `pydantic.TypeAdapter.validate_python` / `validate_json`: validation returns new `str` objects, so
  fields validated from labelled input (a model's JSON answer, tool-call arguments, a dict parsed from
  them) take the labels of the input they came from, when library code validates (a framework's
  typed output) as when user code does.
- `json.loads` and `pydantic_core.from_json` called from library code: what they parse from labelled
  text is labelled as in user code (`json_flow.label_loaded`).
- pydantic-ai's `ObjectOutputProcessor.validate`: a typed output validated by pydantic-core's schema
  validator directly.
- LangChain's `BaseOutputParser.parse_result` (`StrOutputParser`'s) and `JsonOutputParser.parse_result`: parsers read
  `message.text`, a `str` subclass copied from the message's labelled content; the text or the
  values they return take the content's labels.
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

import json
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from wrapt import register_post_import_hook

from ao_instrument.dataflow.json_flow import label_loaded
from ao_instrument.dataflow.labels import TEXT_TYPES, plain
from ao_instrument.dataflow.handlers.guards import PLAIN, exact_type
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


def _validated(result: Any, source: Any, from_json: bool, where: str) -> Any:
    """`result`, validated from `source`, with the labels of the parts of `source` it came from."""
    try:
        if from_json:
            if exact_type(source) not in TEXT_TYPES or exact_type(result) in PLAIN:
                return result
            source = label_loaded(_json_loads(plain(source)), source)
        elif exact_type(source) in PLAIN or not has_labels(source):
            return result
        return relabel_like(result, source)
    except Exception:
        report_internal_error(where)
        return result


def _model_validate(original: classmethod, from_json: bool) -> classmethod:  # type: ignore[type-arg]
    function = original.__func__
    where = f"labelling {function.__qualname__}"

    def validate(cls: Any, source: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = function(cls, source, *args, **kwargs)
        if exact_type(source) in PLAIN and exact_type(source) is not dict and exact_type(source) is not list:
            return result
        return _validated(result, source, from_json, where)

    validate.__name__ = validate.__qualname__ = function.__name__
    validate.__doc__ = function.__doc__
    return classmethod(validate)


def _adapter_validate(original: Callable[..., Any], from_json: bool | None) -> Callable[..., Any]:
    """A validating method of an object (`from_json` None: JSON when the source is text)."""
    where = f"labelling {original.__qualname__}"

    def validate(self: Any, source: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = original(self, source, *args, **kwargs)
        kind = exact_type(source)
        if kind in PLAIN and kind is not dict and kind is not list:
            return result
        return _validated(result, source, kind in TEXT_TYPES if from_json is None else from_json, where)

    validate.__name__ = validate.__qualname__ = original.__name__
    validate.__doc__ = original.__doc__
    return validate


_json_loads = json.loads


def _loads(original: Callable[..., Any]) -> Callable[..., Any]:
    """`json.loads` / `pydantic_core.from_json` for library code: values parsed from labelled text are labelled."""
    where = f"labelling {original.__name__}"

    def loads(source: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = original(source, *args, **kwargs)
        if exact_type(source) not in TEXT_TYPES:
            return result
        try:
            return label_loaded(result, source)
        except Exception:
            report_internal_error(where)
            return result

    loads.__name__ = loads.__qualname__ = original.__name__
    loads.__doc__ = original.__doc__
    loads.__wrapped__ = original  # type: ignore[attr-defined]
    return loads


def _parse_result(original: Callable[..., Any]) -> Callable[..., Any]:
    def parse_result(self: Any, result: Any, *args: Any, **kwargs: Any) -> Any:
        out = original(self, result, *args, **kwargs)
        kind = exact_type(out)
        if kind in TEXT_TYPES or not (kind is dict or kind is list or isinstance(out, str)) or not result:
            return out
        content = getattr(getattr(result[0], "message", None), "content", None)
        if exact_type(content) not in TEXT_TYPES:
            return out
        if kind is dict or kind is list:  # `JsonOutputParser`: parsed from the text in library code
            try:
                return label_loaded(out, content)
            except Exception:
                report_internal_error("labelling BaseOutputParser.parse_result")
                return out
        return _relabelled(str.__str__(out), (content,), "labelling BaseOutputParser.parse_result")

    parse_result.__doc__ = original.__doc__
    return parse_result


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


_PATCHES: tuple[tuple[str, str, str, Callable[[Any], Any]], ...] = (  # class "" patches the module itself
    ("pydantic", "BaseModel", "__init__", _model_init),
    ("pydantic", "BaseModel", "model_validate", lambda original: _model_validate(original, False)),
    ("pydantic", "BaseModel", "model_validate_strings", lambda original: _model_validate(original, False)),
    ("pydantic", "BaseModel", "model_validate_json", lambda original: _model_validate(original, True)),
    ("pydantic", "TypeAdapter", "validate_python", lambda original: _adapter_validate(original, False)),
    ("pydantic", "TypeAdapter", "validate_json", lambda original: _adapter_validate(original, True)),
    # pydantic-ai validates a typed output (its output tool's arguments, or JSON text) with the schema
    # validator itself, which cannot be patched.
    ("pydantic_ai._output", "ObjectOutputProcessor", "validate", lambda original: _adapter_validate(original, None)),
    ("json", "", "loads", _loads),
    ("pydantic_core", "", "from_json", _loads),
    ("langchain_core.output_parsers.base", "BaseOutputParser", "parse_result", _parse_result),
    ("langchain_core.output_parsers.json", "JsonOutputParser", "parse_result", _parse_result),
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
        owner = getattr(module, class_name, None) if class_name else module
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
