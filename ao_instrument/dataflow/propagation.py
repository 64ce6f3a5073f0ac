"""What rewritten user code calls: cheap checks on the unlabelled path, labelled results otherwise.

The rewriter (see `rewrite.py`) turns f-strings, `%` on strings and calls of a few names into calls
of these helpers. `f_NAME(function, *args)` stands for a bare call `NAME(*args)` and receives the
function the name resolved to; `m_NAME(receiver, *args)` stands for `receiver.NAME(*args)`. Each
computes Python's own result first, so behaviour and exceptions are unchanged, and only looks for
labels when an argument could carry one. Internal errors fall back to the plain result.
"""

from __future__ import annotations

import builtins
import functools
import json
import sys
from collections.abc import Callable
from typing import Any

from ao_instrument.dataflow import formatting, json_flow, regex
from ao_instrument.dataflow import ranges as rg
from ao_instrument.dataflow.label_types import _speedups
from ao_instrument.dataflow.labels import (
    BASE_TYPE,
    LABELLED,
    TEXT_TYPES,
    LBytes,
    LStr,
    join,
    number,
    origins_of,
    plain,
    text,
)
from ao_instrument.dataflow.structures import (
    has_labels,
    json_has_labels,
    labelled_leaves,
    normalize_ranges,
    relabel_like,
    relabel_text,
)
from ao_instrument.genai.fail_open import report_internal_error

# Types whose values never carry labels: the guard of rewritten code lets them through untouched.
PLAIN = frozenset((str, int, float, bool, type(None), bytes, complex))
exact_type = builtins.type
STR = str
_no_labels = LABELLED.isdisjoint


def _plain_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """True when no argument can carry a label (shallow types, then a deep look at containers)."""
    if PLAIN.issuperset(map(exact_type, args)) and (not kwargs or PLAIN.issuperset(map(exact_type, kwargs.values()))):
        return True
    return not has_labels(args) and not has_labels(kwargs)


def _fail_open(where: str, result: Any) -> Any:
    report_internal_error(where)
    return result


# f-strings and %.
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
        return _fail_open("propagating an f-string", result)


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
        return _fail_open("propagating %", result)


# Builtins called by name.
def f_str(f: Any, /, *args: Any, **kwargs: Any) -> Any:
    result = f(*args, **kwargs)
    if f is not str or exact_type(result) is not str or not args:
        return result
    value = args[0]
    try:
        if exact_type(value) is LBytes:
            return value.decode(*args[1:], **kwargs)
        return relabel_text(result, value)
    except Exception:
        return _fail_open("propagating str()", result)


def _rendering(name: str) -> Callable[..., Any]:
    def helper(f: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = f(*args, **kwargs)
        if exact_type(result) is not str or not args or exact_type(args[0]) in PLAIN:
            return result
        try:
            return relabel_text(result, args[0])
        except Exception:
            return _fail_open(f"propagating {name}()", result)

    helper.__name__ = helper.__qualname__ = f"f_{name}"
    return helper


f_repr = _rendering("repr")
f_ascii = _rendering("ascii")
f_format = _rendering("format")


def _to_number(name: str) -> Callable[..., Any]:
    def helper(f: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = f(*args, **kwargs)
        if not args or exact_type(result) not in (int, float):
            return result
        try:
            return number(result, origins_of(args[0]))
        except Exception:
            return _fail_open(f"propagating {name}()", result)

    helper.__name__ = helper.__qualname__ = f"f_{name}"
    return helper


f_int = _to_number("int")
f_float = _to_number("float")


def f_bytes(f: Any, /, *args: Any, **kwargs: Any) -> Any:
    result = f(*args, **kwargs)
    if f is not bytes or not args or exact_type(args[0]) not in TEXT_TYPES:
        return result
    try:
        if exact_type(args[0]) is LStr:
            return args[0].encode(*args[1:], **kwargs) if len(args) > 1 or kwargs else result
        return text(result, args[0]._ao)
    except Exception:
        return _fail_open("propagating bytes()", result)


def f_type(f: Any, /, *args: Any, **kwargs: Any) -> Any:
    """`type(x)` answers `str` (not the labelled subclass), so user code sees no difference."""
    result = f(*args, **kwargs)
    return BASE_TYPE.get(result, result) if len(args) == 1 else result


def real_type(cls: Any) -> Any:
    return BASE_TYPE.get(cls, cls)


def _intern(value: Any) -> Any:
    return sys.intern(plain(value))


def f_intern(f: Any, /, *args: Any, **kwargs: Any) -> Any:
    if f is sys.intern and len(args) == 1:
        return _intern(args[0])
    return f(*args, **kwargs)


def m_intern(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
    if receiver is sys and len(args) == 1:
        return _intern(args[0])
    return receiver.intern(*args, **kwargs)


# String methods whose labels come from the arguments.
def join_items(receiver: Any, items: Any, /) -> Any:
    """`receiver.join(items)`, the common form (`m_join_1`; `_speedups.join1` is its C fast path)."""
    if exact_type(receiver) is str or exact_type(receiver) is bytes:
        return _joined(receiver, items)
    return receiver.join(items)


def _joined(receiver: str | bytes, items: Any) -> Any:
    """`receiver.join(items)` of a plain `str` or `bytes` separator: labelled when an item is."""
    if exact_type(items) is not list and exact_type(items) is not tuple:
        items = list(items)
    result = receiver.join(items)
    if len(items) < 16:
        base = exact_type(receiver)
        for item in items:
            if exact_type(item) is not base:
                break
        else:
            return result
    if _no_labels(map(exact_type, items)):
        return result
    try:
        return join(receiver, items)
    except Exception:
        return _fail_open("propagating join", result)


COMPILED = _speedups is not None  # the rewriter calls `fs` for every f-string then (no inline guards)
m_join_1 = join_items if _speedups is None else _speedups.join1


def m_join(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
    if (exact_type(receiver) is str or exact_type(receiver) is bytes) and len(args) == 1 and not kwargs:
        return _joined(receiver, args[0])
    result = receiver.join(*args, **kwargs)
    if exact_type(result) is not str or not args or _plain_args(args, kwargs):
        return result
    try:
        return relabel_text(result, args)
    except Exception:
        return _fail_open("propagating join()", result)


def m_format(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
    if exact_type(receiver) is not str:
        return receiver.format(*args, **kwargs)
    result = receiver.format(*args, **kwargs)
    if _plain_args(args, kwargs):
        return result
    try:
        return formatting.str_format(receiver, args, kwargs)
    except Exception:
        return _fail_open("propagating str.format", result)


def m_format_map(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
    result = receiver.format_map(*args, **kwargs)
    if exact_type(receiver) is not str or len(args) != 1 or kwargs or not has_labels(args[0]):
        return result
    try:
        return formatting.str_format(receiver, (), args[0], use_map=True)
    except Exception:
        return _fail_open("propagating str.format_map", result)


def m_replace_2(receiver: Any, old: Any, new: Any, /) -> Any:
    if exact_type(new) is not LStr or exact_type(receiver) is not str:
        return receiver.replace(old, new)
    return m_replace(receiver, old, new)


def m_replace(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
    if exact_type(receiver) is str and len(args) >= 2 and exact_type(args[1]) is LStr:
        labelled = str.__new__(LStr, receiver)
        labelled._ao = ()
        return labelled.replace(*args, **kwargs)
    return receiver.replace(*args, **kwargs)


if _speedups is not None:  # the optional C fast paths (labels.py), same behaviour
    _speedups.set_fallbacks(join_items, fs, mod, m_format, m_format_map, m_replace, f_str, f_format, builtins.format)
    f_str = _speedups.f_str  # noqa: F811
    f_format = _speedups.f_format  # noqa: F811
    m_replace = m_replace_2 = _speedups.m_replace  # noqa: F811
    fs = _speedups.fs  # noqa: F811
    mod = _speedups.mod  # noqa: F811
    m_format = _speedups.m_format  # noqa: F811
    m_format_map = _speedups.m_format_map  # noqa: F811


# Unbound text methods (`str.strip`, `str.join`, ...) used as functions.
UNBOUND = frozenset(
    (
        "strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize", "casefold", "swapcase", "split",
        "rsplit", "splitlines", "join", "format", "format_map", "replace", "partition", "rpartition", "center",
        "ljust", "rjust", "zfill", "expandtabs", "translate", "removeprefix", "removesuffix", "encode", "decode",
    )
)  # fmt: skip


def _unbound_method(owner: type, name: str) -> Callable[..., Any]:
    """`owner.name` as a function that dispatches to the labelled method when given a labelled value."""
    if name == "join":
        return lambda self, iterable, /: m_join_1(self, iterable)
    if name == "format":
        return lambda self, /, *args, **kwargs: m_format(self, *args, **kwargs)
    if name == "format_map":
        return lambda self, mapping, /: m_format_map(self, mapping)
    native = getattr(owner, name)
    labelled = getattr(LStr if owner is str else LBytes, name)

    def method(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        return (labelled if exact_type(self) in TEXT_TYPES else native)(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    return method


_UNBOUND = {(owner, name): _unbound_method(owner, name) for owner in (str, bytes) for name in UNBOUND if hasattr(owner, name)}


def unbound(owner: Any, name: str) -> Any:
    """`str.name` / `bytes.name` as written, as a label-keeping function (when `str` is the builtin)."""
    return _UNBOUND.get((owner, name)) or getattr(owner, name)


# json.
# Library functions are recognised by their module: a user's own `loads`, `fill`, `escape` or `normalize`
# (a table lookup, say) computes what it computes, and its result is not labelled wholesale.
_LOADERS = frozenset(("json", "simplejson", "orjson", "ujson", "rapidjson", "pickle", "_pickle", "marshal"))
_TRANSFORMERS = frozenset(
    ("base64", "binascii", "textwrap", "urllib.parse", "html", "xml.sax.saxutils", "unicodedata", "string")
)
_MODULE = type(sys)


def _from_library(owner: Any, modules: frozenset[str], receiver: bool) -> bool:
    """Whether a function (or, with `receiver`, the object a method is called on) belongs to `modules`."""
    try:
        if receiver:
            name = owner.__name__ if exact_type(owner) is _MODULE else exact_type(owner).__module__
        else:
            name = owner.__module__
    except Exception:
        return False
    return name in modules


def m_loads_1(receiver: Any, source: Any, /) -> Any:
    result = receiver.loads(source)
    if exact_type(source) not in TEXT_TYPES or not _from_library(receiver, _LOADERS, True):
        return result
    return _loaded(result, (source,))


def m_loads(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
    result = receiver.loads(*args, **kwargs)
    return _loaded(result, args) if _from_library(receiver, _LOADERS, True) else result


def f_loads(f: Any, /, *args: Any, **kwargs: Any) -> Any:
    result = f(*args, **kwargs)
    return _loaded(result, args) if _from_library(f, _LOADERS, False) else result


def _loaded(result: Any, args: tuple[Any, ...]) -> Any:
    if not args or exact_type(args[0]) not in TEXT_TYPES:
        return result
    try:
        return json_flow.label_loaded(result, args[0])
    except Exception:
        return _fail_open("propagating json.loads", result)


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
        return _fail_open("propagating json.dumps", result)


# re.
_RE_FUNCTIONS = {getattr(__import__("re"), name): name for name in regex.OPERATIONS}


def _regex_method(name: str) -> Callable[..., Any]:
    def helper(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
        if _no_labels(map(exact_type, args)) and not kwargs and not any(map(callable, args)):
            return getattr(receiver, name)(*args, **kwargs)
        return regex.call(receiver, name, args, kwargs)

    helper.__name__ = helper.__qualname__ = f"m_{name}"
    return helper


def _regex_method_n(name: str, arity: int) -> Callable[..., Any]:
    """`receiver.name(a[, b[, c]])` without argument packing on the unlabelled path."""
    labelled = LABELLED
    substitutes = name in ("sub", "subn")

    def helper(receiver: Any, /, *args: Any) -> Any:
        for value in args:
            if exact_type(value) in labelled or substitutes and callable(value):
                return regex.call(receiver, name, args, {})
        return getattr(receiver, name)(*args)

    if arity == 1:

        def helper(receiver: Any, a: Any, /) -> Any:  # type: ignore[misc]  # noqa: F811
            if exact_type(a) in labelled or substitutes and callable(a):
                return regex.call(receiver, name, (a,), {})
            return getattr(receiver, name)(a)

    elif arity == 2:

        def helper(receiver: Any, a: Any, b: Any, /) -> Any:  # type: ignore[misc]  # noqa: F811
            if exact_type(a) in labelled or exact_type(b) in labelled or substitutes and (callable(a) or callable(b)):
                return regex.call(receiver, name, (a, b), {})
            return getattr(receiver, name)(a, b)

    helper.__name__ = helper.__qualname__ = f"m_{name}_{arity}"
    return helper


def _regex_function(name: str) -> Callable[..., Any]:
    method = _regex_method(name)

    def helper(f: Any, /, *args: Any, **kwargs: Any) -> Any:
        if _RE_FUNCTIONS.get(f) == name:
            return method(sys.modules["re"], *args, **kwargs)
        return f(*args, **kwargs)

    helper.__name__ = helper.__qualname__ = f"f_{name}"
    return helper


# Library calls that rebuild text from their arguments: encodings, escapes, wrapping, templates.
def _label_like_args(result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Coarse: every origin of the (shallow) arguments on the whole result (or each item of a list)."""
    origins: rg.Origins = ()
    for value in (*args, *kwargs.values()):
        origins = rg.union(origins, origins_of(value))
    if not origins:
        return result
    cls = exact_type(result)
    if cls in (str, bytes, LStr, LBytes):
        return text(plain(result), rg.whole(origins, len(result)))
    if cls is list:
        return [text(plain(item), rg.whole(origins, len(item))) if exact_type(item) in (str, bytes) else item for item in result]
    return result


def _transform_method(name: str) -> Callable[..., Any]:
    def helper(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = getattr(receiver, name)(*args, **kwargs)
        return _transformed(result, name, args, kwargs) if _from_library(receiver, _TRANSFORMERS, True) else result

    helper.__name__ = helper.__qualname__ = f"m_{name}"
    return helper


def _transform_function(name: str) -> Callable[..., Any]:
    def helper(f: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = f(*args, **kwargs)
        return _transformed(result, name, args, kwargs) if _from_library(f, _TRANSFORMERS, False) else result

    helper.__name__ = helper.__qualname__ = f"f_{name}"
    return helper


def _transformed(result: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if _no_labels(map(exact_type, args)) and (not kwargs or _no_labels(map(exact_type, kwargs.values()))):
        return result
    try:
        return _label_like_args(result, args, kwargs)
    except Exception:
        return _fail_open(f"propagating {name}()", result)


# `urllib.parse.urlencode`: each labelled key or value is located in the query by its quoted form.
def _urlencoded(result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if exact_type(result) is not str or not args or _plain_args(args, kwargs):
        return result
    try:
        from urllib.parse import quote_plus

        safe = args[2] if len(args) > 2 else kwargs.get("safe", "")
        quote_via = args[5] if len(args) > 5 else kwargs.get("quote_via", quote_plus)
        found: list[tuple[int, int, Any]] = []
        origins: rg.Origins = ()
        cursor = 0
        for leaf in labelled_leaves((args, kwargs)):
            leaf_origins = origins_of(leaf)
            origins = rg.union(origins, leaf_origins)
            value = plain(leaf) if exact_type(leaf) in TEXT_TYPES else str(plain(leaf))
            shown = quote_via(value, safe)
            at = result.find(shown, cursor) if shown else -1
            if at < 0 and shown:
                at = result.find(shown)
            if at >= 0:
                found.append((at, at + len(shown), leaf_origins))
                cursor = at + len(shown)
        if not origins:
            return result
        return text(result, normalize_ranges(found) if found else rg.whole(origins, len(result)))
    except Exception:
        return _fail_open("propagating urlencode()", result)


def f_urlencode(f: Any, /, *args: Any, **kwargs: Any) -> Any:
    return _urlencoded(f(*args, **kwargs), args, kwargs)


def m_urlencode(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
    return _urlencoded(receiver.urlencode(*args, **kwargs), args, kwargs)


# `map(int, texts)`, `map("- {}".format, items)`: `map` calls these from C, where labels are lost, so
# they are given to it as label-keeping functions when an iterable may hold a labelled value.
class _BoundText:
    """`sep.join`/`template.format`/`template.format_map` of a plain `str` as a function that keeps labels."""

    __slots__ = ("_method", "_call")

    def __init__(self, method: Any, call: Callable[..., Any]) -> None:
        self._method = method
        self._call = call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._method, name)

    def __repr__(self) -> str:
        return repr(self._method)


_BOUND: dict[str, Callable[[str], Callable[..., Any]]] = {
    "join": lambda r: lambda items, /: m_join_1(r, items),
    "format": lambda r: lambda *a, **k: m_format(r, *a, **k),
    "format_map": lambda r: lambda mapping, /: m_format_map(r, mapping),
}
_BUILTIN_METHOD = type("".join)


def _label_keeping(function: Any) -> Any:
    """`function` as one that keeps labels (a builtin that loses them, a bound text method), else itself."""
    for builtin, helper in _MAPPED:
        if function is builtin:
            return lambda *args, **kwargs: helper(builtin, *args, **kwargs)
    if exact_type(function) is _BUILTIN_METHOD and exact_type(function.__self__) is str and function.__name__ in _BOUND:
        return _BoundText(function, _BOUND[function.__name__](function.__self__))
    return function


def _plain_sequence(iterable: Any) -> bool:
    cls = exact_type(iterable)
    return (cls is list or cls is tuple) and PLAIN.issuperset(map(exact_type, iterable))


def f_map(f: Any, /, *args: Any, **kwargs: Any) -> Any:
    if f is not map or len(args) < 2 or kwargs:
        return f(*args, **kwargs)
    function = _label_keeping(args[0])
    if function is args[0] or all(map(_plain_sequence, args[1:])):
        return map(*args)
    return map(function, *args[1:])


_MAPPED = ((int, f_int), (float, f_float), (repr, f_repr), (format, f_format), (bytes, f_bytes), (ascii, f_ascii))


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
    if exact_type(getattr(receiver, "template", None)) in PLAIN and _plain_args(args, kwargs):
        return getattr(receiver, name)(*args, **kwargs)
    try:
        proxy = object.__new__(exact_type(receiver))
        proxy.__dict__.update(receiver.__dict__)
        proxy.pattern = _RecordingPattern(receiver.pattern)
    except Exception:
        return _fail_open(f"propagating {name}()", getattr(receiver, name)(*args, **kwargs))
    return getattr(proxy, name)(*args, **kwargs)


def _render_method(name: str) -> Callable[..., Any]:
    """Templates and pretty-printers: the labelled inputs are located in the text they produce."""
    is_template = name in ("substitute", "safe_substitute")

    def helper(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
        if is_template and "string" in sys.modules and isinstance(receiver, sys.modules["string"].Template):
            return _template_substitute(receiver, name, args, kwargs)
        result = getattr(receiver, name)(*args, **kwargs)
        if exact_type(result) is not str:
            return result
        try:
            inputs = (receiver, args, kwargs) if name in ("model_dump_json", "to_json", "pformat") else (args, kwargs)
            return relabel_text(result, inputs)
        except Exception:
            return _fail_open(f"propagating {name}()", result)

    helper.__name__ = helper.__qualname__ = f"m_{name}"
    return helper


# `model_dump(mode="json")` / `to_dict(mode="json")` serialise text fields into new strings (pydantic's core):
# they take the labels of the fields they came from. The default (python) mode hands out the labelled objects.
def _dump_method(name: str) -> Callable[..., Any]:
    def helper(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = getattr(receiver, name)(*args, **kwargs)
        if kwargs.get("mode") != "json" or exact_type(result) is not dict or not has_labels(receiver):
            return result
        try:
            return relabel_like(result, receiver)
        except Exception:
            return _fail_open(f"propagating {name}()", result)

    helper.__name__ = helper.__qualname__ = f"m_{name}"
    return helper


# pydantic (and anything validating data into objects): labels follow the fields they were validated into.
def _validate_method(name: str) -> Callable[..., Any]:
    from_json = name.endswith("_json")

    def helper(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = getattr(receiver, name)(*args, **kwargs)
        if not args:
            return result
        source = args[0]
        try:
            if from_json:
                if exact_type(source) not in TEXT_TYPES:
                    return result
                source = json_flow.label_loaded(json.loads(source), source)
            elif exact_type(source) in PLAIN or not has_labels(source):
                return result
            return relabel_like(result, source)
        except Exception:
            return _fail_open(f"propagating {name}()", result)

    helper.__name__ = helper.__qualname__ = f"m_{name}"
    return helper


# Numeric library functions (`statistics`, `math`) compute in C or through fractions: their number result
# takes the origins of every labelled number (or text) in the arguments.
def _aggregated(result: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if exact_type(result) not in (int, float) or _plain_args(args, kwargs):
        return result
    try:
        origins: rg.Origins = ()
        for leaf in labelled_leaves((args, kwargs)):
            origins = rg.union(origins, origins_of(leaf))
        return number(result, origins)
    except Exception:
        return _fail_open(f"propagating {name}()", result)


def _aggregate_method(name: str) -> Callable[..., Any]:
    def helper(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
        return _aggregated(getattr(receiver, name)(*args, **kwargs), name, args, kwargs)

    helper.__name__ = helper.__qualname__ = f"m_{name}"
    return helper


def _aggregate_function(name: str) -> Callable[..., Any]:
    def helper(f: Any, /, *args: Any, **kwargs: Any) -> Any:
        return _aggregated(f(*args, **kwargs), name, args, kwargs)

    helper.__name__ = helper.__qualname__ = f"f_{name}"
    return helper


# `ast.literal_eval` of labelled text: like `json.loads`, every string and number it gives is labelled
# with the origins of where it was written (located by its repr), else of the whole text.
def _literal_eval(result: Any, args: tuple[Any, ...]) -> Any:
    source = args[0] if args else None
    if exact_type(source) is not LStr:
        return result
    try:
        return _label_literal(result, source, [0], 0)
    except Exception:
        return _fail_open("propagating literal_eval()", result)


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


# `traceback.format_exc()` and friends: the labelled text of the exception (its args, attributes) is
# located in the formatted traceback.
TRACEBACKS = ("format_exc", "format_exception", "format_exception_only")


def _traceback_text(result: Any, name: str, args: tuple[Any, ...]) -> Any:
    inputs = args if args else sys.exc_info()[1]
    if exact_type(result) not in (str, list) or not has_labels(inputs):
        return result
    try:
        if exact_type(result) is str:
            return relabel_text(result, inputs)
        return [relabel_text(item, inputs) for item in result]
    except Exception:
        return _fail_open(f"propagating traceback.{name}()", result)


def _traceback_method(name: str) -> Callable[..., Any]:
    def helper(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = getattr(receiver, name)(*args, **kwargs)
        if receiver is not sys.modules.get("traceback"):
            return result
        return _traceback_text(result, name, args)

    helper.__name__ = helper.__qualname__ = f"m_{name}"
    return helper


def _traceback_function(name: str) -> Callable[..., Any]:
    def helper(f: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = f(*args, **kwargs)
        module = sys.modules.get("traceback")
        if module is None or f is not getattr(module, name, None):
            return result
        return _traceback_text(result, name, args)

    helper.__name__ = helper.__qualname__ = f"f_{name}"
    return helper


def _split_first_in_c(helper: Callable[..., Any]) -> Callable[..., Any]:
    """`helper`, except that a labelled receiver splits in C when the helper is built (labels.py)."""
    return helper if _speedups is None else functools.partial(_speedups.split_or, helper)


def _install(names: tuple[str, ...], make: Callable[[str], Callable[..., Any]], prefix: str) -> None:
    """Define `prefix + name` for each name."""
    for name in names:
        globals()[prefix + name] = make(name)


TRANSFORMS = (
    "b64encode", "b64decode", "urlsafe_b64encode", "urlsafe_b64decode", "standard_b64encode",
    "standard_b64decode", "b32encode", "b32decode", "b16encode", "b16decode", "b85encode", "b85decode",
    "a85encode", "a85decode", "encodebytes", "decodebytes", "hexlify", "unhexlify", "dedent", "indent",
    "fill", "shorten", "wrap", "quote", "quote_plus", "unquote", "unquote_plus", "escape", "unescape",
    "normalize", "capwords",
)  # fmt: skip
RENDERS = ("substitute", "safe_substitute", "render", "pformat", "model_dump_json", "to_json")
DUMPS = ("model_dump", "to_dict")
AGGREGATES = (
    "mean", "fmean", "median", "median_low", "median_high", "median_grouped", "stdev", "pstdev", "variance",
    "pvariance", "geometric_mean", "harmonic_mean", "quantiles", "fsum", "sqrt", "isqrt", "prod",
)  # fmt: skip
VALIDATES = ("model_validate", "model_validate_json", "model_validate_strings", "validate_python", "validate_json")

_install(regex.OPERATIONS, _regex_method, "m_")
for _arity in (1, 2, 3):
    for _name in regex.OPERATIONS:
        globals()[f"m_{_name}_{_arity}"] = _regex_method_n(_name, _arity)
_install(regex.OPERATIONS, _regex_function, "f_")
# `x.split(...)`: the rewriter calls these only when `x` is not a plain `str`/`bytes` (a labelled text, `re`,
# a compiled pattern, anything else): labelled pieces from `re.split`, the receiver's own `split` otherwise.
_install((regex.SPLIT,), lambda name: _split_first_in_c(_regex_method(name)), "m_")
for _arity in (1, 2, 3):
    globals()[f"m_{regex.SPLIT}_{_arity}"] = _split_first_in_c(_regex_method_n(regex.SPLIT, _arity))
_install(TRANSFORMS, _transform_method, "m_")
_install(TRANSFORMS, _transform_function, "f_")
_install(RENDERS, _render_method, "m_")
_install(VALIDATES, _validate_method, "m_")
_install(DUMPS, _dump_method, "m_")
_install(AGGREGATES, _aggregate_method, "m_")
_install(AGGREGATES, _aggregate_function, "f_")
_install(TRACEBACKS, _traceback_method, "m_")
_install(TRACEBACKS, _traceback_function, "f_")
