"""The labelled types: `str`, `bytes`, `int` and `float` subclasses that carry the origins of their parts.

`labels` completes them (LStr's `%`, `format`, `format_map`, then the C methods); import them from there.

A labelled value is always a fresh object (never an interned string or a cached small int), so a
label cannot leak to an equal value that did not come from an LLM. Text carries `Ranges` (which
characters came from which calls); numbers carry a tuple of origins. Every method that returns text
computes the plain result first, then its ranges; operations these classes cannot see (f-strings,
`%` with a tuple, `join`, `json`, `re`, ...) are handled at the rewritten call sites.

The classes are named like their bases so that error messages read as without ao.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from typing import Any

from ao_instrument.dataflow import ranges as rg
from ao_instrument.dataflow.ranges import Origins, Ranges
from ao_instrument.genai.fail_open import report_internal_error

try:  # the optional C fast path (built when a compiler is available): same behaviour, in C
    from ao_instrument.dataflow import _speedups
except ImportError:
    _speedups = None  # type: ignore[assignment]

# Labelled values that may still be created: a fail-safe bound on tracking work, refilled whenever a
# run (or trace) scope ends; once spent, operations return plain values.
LABEL_BUDGET = 5_000_000
BUDGET: Any = [LABEL_BUDGET] if _speedups is None else _speedups.budget  # read and written as BUDGET[0]
BUDGET[0] = LABEL_BUDGET


def refill_budget() -> None:
    BUDGET[0] = LABEL_BUDGET


_new_str = str.__new__
_new_bytes = bytes.__new__
_new_int = int.__new__
_new_float = float.__new__


class _Text:
    """What labelled `str` and `bytes` share; `_base` is the builtin type, `_ao` the ranges."""

    __slots__ = ()
    _base: type
    _ao: Ranges

    def _sub(self, result: Any, offset: int) -> Any:
        return text(result, rg.clip(self._ao, offset, offset + len(result)))

    def _same(self, result: Any) -> Any:
        return text(result, rg.scale(self._ao, len(self), len(result)))

    def __getitem__(self, key: Any) -> Any:
        base = self._base
        result = base.__getitem__(self, key)
        if base is bytes and not isinstance(key, slice):
            return result
        try:
            return text(result, _item_ranges(self._ao, key, len(self), len(result)))
        except Exception:
            return _failed("indexing", result)

    def __add__(self, other: Any) -> Any:
        base = self._base
        if not isinstance(other, base):
            return operator.add(plain(self), other)  # Python's own outcome (other's __radd__, or its TypeError)
        result = base.__add__(self, other)
        try:
            return text(result, rg.concat(self._ao, len(self), ranges_of(other)))
        except Exception:
            return _failed("+", result)

    def __radd__(self, other: Any) -> Any:
        base = self._base
        if not isinstance(other, base):
            return NotImplemented
        result = base.__add__(other, self)
        try:
            return text(result, rg.shift(self._ao, len(other)))
        except Exception:
            return _failed("+", result)

    def __mul__(self, times: Any) -> Any:
        if not hasattr(times, "__index__"):
            return operator.mul(plain(self), times)
        result = self._base.__mul__(self, times)
        try:
            return text(result, rg.repeat(self._ao, len(self), operator.index(times)))
        except Exception:
            return _failed("*", result)

    def __rmul__(self, times: Any) -> Any:
        if not hasattr(times, "__index__"):
            return operator.mul(times, plain(self))  # Python's own outcome (`[1] * s` names the str)
        return self.__mul__(times)

    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: Any) -> Any:
        return self

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (self._base, (plain(self),))

    def __repr__(self) -> str:
        base = self._base
        result = base.__repr__(self)
        try:
            head = 1 if base is str else 2
            body = lambda seg: len(base.__repr__(seg)) - head - 1  # noqa: E731
            return text(result, _piecewise(self, result, body, head, 1))
        except Exception:
            return _failed("repr", result)  # type: ignore[no-any-return]

    # Parts at computable offsets.
    def strip(self, chars: Any = None) -> Any:
        base = self._base
        return self._sub(base.strip(self, chars), len(self) - len(base.lstrip(self, chars)))

    def lstrip(self, chars: Any = None) -> Any:
        result = self._base.lstrip(self, chars)
        return self._sub(result, len(self) - len(result))

    def rstrip(self, chars: Any = None) -> Any:
        return self._sub(self._base.rstrip(self, chars), 0)

    def removeprefix(self, prefix: Any) -> Any:
        result = self._base.removeprefix(self, prefix)
        return self._sub(result, len(self) - len(result))

    def removesuffix(self, suffix: Any) -> Any:
        return self._sub(self._base.removesuffix(self, suffix), 0)

    def ljust(self, width: Any, *fill: Any) -> Any:
        return self._pad(self._base.ljust(self, width, *fill), 0)

    def rjust(self, width: Any, *fill: Any) -> Any:
        result = self._base.rjust(self, width, *fill)
        return self._pad(result, len(result) - len(self))

    def zfill(self, width: Any) -> Any:
        result = self._base.zfill(self, width)
        return self._pad(result, len(result) - len(self))

    def center(self, width: Any, *fill: Any) -> Any:
        result = self._base.center(self, width, *fill)
        margin = len(result) - len(self)
        return self._pad(result, margin // 2 + (margin & operator.index(width) & 1) if margin else 0)

    def _pad(self, result: Any, offset: int) -> Any:
        return text(result, rg.shift(self._ao, offset))

    # Same positions unless the length changes.
    def upper(self) -> Any:
        return self._same(self._base.upper(self))

    def lower(self) -> Any:
        return self._same(self._base.lower(self))

    def swapcase(self) -> Any:
        return self._same(self._base.swapcase(self))

    def title(self) -> Any:
        return self._same(self._base.title(self))

    def capitalize(self) -> Any:
        return self._same(self._base.capitalize(self))

    def expandtabs(self, tabsize: Any = 8) -> Any:
        return self._same(self._base.expandtabs(self, tabsize))

    def translate(self, *args: Any, **kwargs: Any) -> Any:
        return self._same(self._base.translate(self, *args, **kwargs))

    # Pieces.
    def replace(self, old: Any, new: Any, count: Any = -1) -> Any:
        base = self._base
        result = base.replace(self, old, new, count)
        if not old:
            origins = rg.union(rg.origins_of(self._ao), rg.origins_of(ranges_of(new)))
            return text(result, rg.whole(origins, len(result)))
        new_ranges = ranges_of(new)
        pieces: list[tuple[int, Ranges]] = []
        pos = out = 0
        left = operator.index(count)
        while left:
            i = base.find(self, old, pos)
            if i < 0:
                break
            pieces.append((out, rg.clip(self._ao, pos, i)))
            out += i - pos
            pieces.append((out, new_ranges))
            out += len(new)
            pos = i + len(old)
            left -= 1
        pieces.append((out, rg.clip(self._ao, pos, len(self))))
        return text(result, rg.join_at(pieces))

    def split(self, sep: Any = None, maxsplit: Any = -1) -> Any:
        return self._parts(self._base.split(self, sep, maxsplit), sep)

    def rsplit(self, sep: Any = None, maxsplit: Any = -1) -> Any:
        return self._parts(self._base.rsplit(self, sep, maxsplit), sep)

    def splitlines(self, keepends: Any = False) -> Any:
        return self._parts(self._base.splitlines(self, keepends), None)

    def _parts(self, parts: list[Any], sep: Any) -> list[Any]:
        """Label the parts of a split: at known steps with a separator, else found in order."""
        find = self._base.find
        out = []
        pos = 0
        for part in parts:
            i = pos if sep is not None else find(self, part, pos)
            out.append(text(part, rg.clip(self._ao, i, i + len(part))))
            pos = i + len(part) + (len(sep) if sep is not None else 0)
        return out

    def partition(self, sep: Any) -> Any:
        return self._three(self._base.partition(self, sep))

    def rpartition(self, sep: Any) -> Any:
        return self._three(self._base.rpartition(self, sep))

    def _three(self, parts: tuple[Any, Any, Any]) -> tuple[Any, Any, Any]:
        head, sep, tail = parts
        a, b = len(head), len(head) + len(sep)
        return (self._sub(head, 0), self._sub(sep, a), self._sub(tail, b))

    def join(self, iterable: Iterable[Any]) -> Any:
        return join(self, iterable)


class LStr(_Text, str):
    """A `str` whose `_ao` ranges say which characters came from which LLM calls."""

    __slots__ = ("_ao",)
    _base = str

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        """`type(x)(...)` in library code: what `str(...)` gives (labelled only when that already is)."""
        src = args[0] if args else None
        if type(src) is LBytes and (len(args) > 1 or kwargs):
            return src.decode(*args[1:], **kwargs)
        return str(*args, **kwargs)

    def __str__(self) -> str:
        return self

    # The most frequent operations, specialised for `str` (one call deep, failing open inline).
    def __getitem__(self, key: Any) -> Any:
        result = str.__getitem__(self, key)
        try:
            return _str(result, _item_ranges(self._ao, key, len(self), len(result)))
        except Exception:
            return _failed("indexing", result)

    def __add__(self, other: Any) -> Any:
        if not isinstance(other, str):
            return operator.add(str.__str__(self), other)  # Python's own outcome (other's __radd__, or its TypeError)
        result = str.__add__(self, other)
        try:
            return _str(result, rg.concat(self._ao, len(self), other._ao if type(other) is LStr else ()))
        except Exception:
            return _failed("+", result)

    def __radd__(self, other: Any) -> Any:
        if not isinstance(other, str):
            return NotImplemented
        result = str.__add__(other, self)
        try:
            return _str(result, rg.shift(self._ao, len(other)))
        except Exception:
            return _failed("+", result)

    def strip(self, *chars: Any) -> Any:  # (`*chars`: a wrong call fails as `str.strip`'s does)
        result = str.strip(self, *chars)
        if len(result) == len(self):
            return self  # nothing stripped (as `str` returns itself)
        try:
            start = len(self) - len(str.lstrip(self, *chars))
            return _str(result, rg.clip(self._ao, start, start + len(result)))
        except Exception:
            return _failed("strip", result)

    def lstrip(self, *chars: Any) -> Any:
        result = str.lstrip(self, *chars)
        if len(result) == len(self):
            return self
        try:
            start = len(self) - len(result)
            return _str(result, rg.clip(self._ao, start, start + len(result)))
        except Exception:
            return _failed("lstrip", result)

    def rstrip(self, *chars: Any) -> Any:
        result = str.rstrip(self, *chars)
        if len(result) == len(self):
            return self
        try:
            return _str(result, rg.clip(self._ao, 0, len(result)))
        except Exception:
            return _failed("rstrip", result)

    def __format__(self, spec: str) -> str:
        if not spec:
            return self
        result = str.__format__(self, spec)
        try:
            kept = _precision(spec)
            kept = len(self) if kept is None else min(kept, len(self))
            offset = str.find(result, str.__getitem__(self, slice(0, kept)))
            return text(result, rg.shift(rg.clip(self._ao, 0, kept), max(offset, 0)))
        except Exception:
            return _failed("format", result)  # type: ignore[no-any-return]

    def __iter__(self) -> Any:
        rs = self._ao
        return (text(ch, rg.clip(rs, i, i + 1)) for i, ch in enumerate(str.__iter__(self)))

    def casefold(self) -> Any:
        return self._same(str.casefold(self))

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> Any:
        result = str.encode(self, encoding, errors)
        seg_len = lambda seg: len(str.encode(seg, encoding, errors))  # noqa: E731
        return text(result, _piecewise(self, result, seg_len, 0, 0))


class LBytes(_Text, bytes):
    """A `bytes` whose `_ao` ranges say which bytes came from which LLM calls."""

    _base = bytes

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        """`type(x)(...)` in library code: what `bytes(...)` gives, labelled when it is labelled text."""
        result = bytes(*args, **kwargs)
        src = args[0] if args else None
        if type(src) is LStr and (len(args) > 1 or kwargs):
            return src.encode(*args[1:], **kwargs)
        if type(src) is LBytes:
            return text(result, src._ao)
        return result

    def __mod__(self, args: Any) -> Any:
        result = bytes.__mod__(self, args)
        if result is NotImplemented:
            return result
        try:
            return text(result, rg.whole(rg.union(rg.origins_of(self._ao), origins_in(args)), len(result)))
        except Exception:
            return _failed("%", result)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> Any:
        result = bytes.decode(self, encoding, errors)
        seg_len = lambda seg: len(bytes.decode(seg, encoding, errors))  # noqa: E731
        return text(result, _piecewise(self, result, seg_len, 0, 0))

    def hex(self, *args: Any, **kwargs: Any) -> Any:
        result = bytes.hex(self, *args, **kwargs)
        try:
            if args or kwargs or len(result) != 2 * len(self):
                return text(result, rg.coarse(self._ao, len(result)))
            return text(result, tuple([(2 * s, 2 * e, o) for s, e, o in self._ao]))
        except Exception:
            return _failed("hex", result)


class _Number:
    """What labelled `int` and `float` share: every arithmetic result keeps (and unites) the origins."""

    __slots__ = ()
    _base: type
    _ao: Origins

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        """`type(x)(value)` in library code (`statistics` converts its results so): the plain number, with
        the origins of a labelled argument. Never an instance without `_ao`."""
        value = cls._base(*args, **kwargs)
        return number(value, origins_of(args[0])) if args else value

    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: Any) -> Any:
        return self

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (self._base, (plain(self),))

    def __str__(self) -> str:
        result = self._base.__repr__(self)
        try:
            return text(result, rg.whole(self._ao, len(result)))  # type: ignore[no-any-return]
        except Exception:
            return _failed("str", result)  # type: ignore[no-any-return]

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        result = self._base.__format__(self, spec)
        try:
            return text(result, rg.whole(self._ao, len(result)))  # type: ignore[no-any-return]
        except Exception:
            return _failed("format", result)  # type: ignore[no-any-return]

    def __round__(self, ndigits: Any = None) -> Any:
        return _number_result(round(plain(self), ndigits), self, None)

    def __trunc__(self) -> Any:
        return _number_result(math.trunc(plain(self)), self, None)

    def __floor__(self) -> Any:
        return _number_result(math.floor(plain(self)), self, None)

    def __ceil__(self) -> Any:
        return _number_result(math.ceil(plain(self)), self, None)

    def __neg__(self) -> Any:
        return _number_result(-plain(self), self, None)

    def __pos__(self) -> Any:
        return _number_result(+plain(self), self, None)

    def __abs__(self) -> Any:
        return _number_result(abs(plain(self)), self, None)

    def __pow__(self, other: Any, mod: Any = None) -> Any:
        return _number_result(pow(plain(self), other, mod), self, other)

    def __rpow__(self, other: Any, mod: Any = None) -> Any:
        return _number_result(pow(other, plain(self), mod), self, other)


def _binary(op: Callable[[Any, Any], Any]) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """`__op__` and `__rop__`: the operator on the plain value (Python's own dispatch), then labelled."""

    def forward(self: Any, other: Any) -> Any:
        return _number_result(op(plain(self), other), self, other)

    def reflected(self: Any, other: Any) -> Any:
        return _number_result(op(other, plain(self)), self, other)

    return forward, reflected


for _name, _op in (
    ("add", operator.add), ("sub", operator.sub), ("mul", operator.mul), ("truediv", operator.truediv),
    ("floordiv", operator.floordiv), ("mod", operator.mod), ("divmod", divmod), ("lshift", operator.lshift),
    ("rshift", operator.rshift), ("and", operator.and_), ("or", operator.or_), ("xor", operator.xor),
):  # fmt: skip
    _fwd, _rev = _binary(_op)
    setattr(_Number, f"__{_name}__", _fwd)
    setattr(_Number, f"__r{_name}__", _rev)


class LInt(_Number, int):
    """An `int` derived from LLM output; `_ao` holds its origins."""

    _base = int

    def __invert__(self) -> Any:
        return _number_result(~plain(self), self, None)


class LFloat(_Number, float):
    """A `float` derived from LLM output; `_ao` holds its origins."""

    _base = float


for _cls in (LStr, LBytes, LInt, LFloat):
    _cls.__name__ = _cls.__qualname__ = _cls._base.__name__

# Named methods that take keyword arguments (the others are guarded without keyword packing).
_KEYWORDS = frozenset(
    ("split", "rsplit", "splitlines", "encode", "decode", "expandtabs", "translate", "format", "format_map", "hex")
)


def guard(method: Callable[..., Any], keywords: bool) -> Callable[..., Any]:
    """Fail open: if labelling fails, Python's own method decides (its result, or its error)."""
    name = method.__name__

    def fallback(self: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        unlabelled = plain(self)
        result = getattr(type(unlabelled), name)(unlabelled, *args, **kwargs)  # the user's own error, if any
        report_internal_error(f"labelled {type(unlabelled).__name__}.{name}")
        return result

    if keywords:

        def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except Exception:
                return fallback(self, args, kwargs)

    else:

        def guarded(self: Any, *args: Any) -> Any:  # type: ignore[misc]
            try:
                return method(self, *args)
            except Exception:
                return fallback(self, args, {})

    guarded.__name__ = guarded.__qualname__ = name
    guarded.__doc__ = method.__doc__
    return guarded


_FAIL_OPEN_INLINE = {(LStr, "strip"), (LStr, "lstrip"), (LStr, "rstrip")}
for _cls in (_Text, LStr, LBytes):
    for _name, _method in list(vars(_cls).items()):
        if callable(_method) and not _name.startswith("_") and _name != "join" and (_cls, _name) not in _FAIL_OPEN_INLINE:
            setattr(_cls, _name, guard(_method, _name in _KEYWORDS))

TEXT_TYPES = frozenset((LStr, LBytes))
NUMBER_TYPES = frozenset((LInt, LFloat))
LABELLED = TEXT_TYPES | NUMBER_TYPES
_LABELLED_TEXT = {str: LStr, bytes: LBytes, LStr: LStr, LBytes: LBytes}
_LABELLED_NUMBER = {int: LInt, float: LFloat, LInt: LInt, LFloat: LFloat}
_PLAIN = {LStr: str.__str__, LBytes: bytes, LInt: int.__int__, LFloat: float.__float__}
BASE_TYPE = {LStr: str, LBytes: bytes, LInt: int, LFloat: float}


def text(value: Any, ranges: Ranges) -> Any:
    """`value` (str or bytes) labelled with `ranges`, or `value` itself when there is nothing to label."""
    if not ranges:
        return plain(value)
    cls = _LABELLED_TEXT.get(type(value))
    if cls is None:
        return value
    if cls is LStr and type(value) is str:
        return _str(value, ranges)  # the C helper keeps its ranges compact
    if BUDGET[0] <= 0:
        return plain(value)
    BUDGET[0] -= 1
    obj = _new_str(cls, value) if cls is LStr else _new_bytes(cls, value)
    obj._ao = ranges
    return obj


def _str(value: str, ranges: Ranges) -> Any:
    """`text` for a result known to be an exact `str` (the hot path of labelled string methods)."""
    if not ranges or BUDGET[0] <= 0:
        return value
    BUDGET[0] -= 1
    obj = _new_str(LStr, value)
    obj._ao = ranges
    return obj


def install_speedups() -> None:
    """Put the C methods on LStr, once all its Python methods are there (`labels` adds the formatting ones),
    and LBytes' ranges in a C table (bytes subclasses cannot have slots)."""
    global _str
    if _speedups is not None:
        _speedups.install(LStr, LBytes, rg.coarse)  # C methods for LStr's text-making operations, compact ranges
        _str = _speedups.labelled


def number(value: Any, origins: Origins) -> Any:
    """`value` (int or float, not bool) labelled with `origins`; tuples (divmod) element-wise."""
    if not origins:
        return value
    cls = _LABELLED_NUMBER.get(type(value))
    if cls is None:
        if type(value) is tuple:
            return tuple(number(v, origins) for v in value)
        return value
    if BUDGET[0] <= 0:
        return plain(value)
    BUDGET[0] -= 1
    obj = _new_int(cls, value) if cls is LInt else _new_float(cls, value)
    obj._ao = origins
    return obj


def _number_result(result: Any, a: Any, b: Any) -> Any:
    try:
        return number(result, rg.union(origins_of(a), origins_of(b)))
    except Exception:
        return _failed("arithmetic", result)


def _item_ranges(ranges: Ranges, key: Any, size: int, result_size: int) -> Ranges:
    """The ranges of `value[key]` (an index or a slice) of a text of `size` characters labelled `ranges`."""
    if isinstance(key, slice):
        start, stop, step = key.indices(size)
        if step == 1:
            return rg.clip(ranges, start, stop)
        return rg.stepped(ranges, start, step, result_size)
    i = operator.index(key)
    if i < 0:
        i += size
    return rg.clip(ranges, i, i + 1)


def _failed(where: str, result: Any) -> Any:
    """Fail open: the plain result of an operation whose labelling failed."""
    report_internal_error(f"labelling {where}")
    return plain(result)


def plain(value: Any) -> Any:
    """The same value without labels (an exact builtin object)."""
    unlabel = _PLAIN.get(type(value))
    return value if unlabel is None else unlabel(value)


def ranges_of(value: Any) -> Ranges:
    """The ranges of a labelled text; () for anything else."""
    return value._ao if type(value) in TEXT_TYPES else ()


def origins_of(value: Any) -> Origins:
    """The origins a labelled value carries (text or number); () for anything else."""
    cls = type(value)
    if cls in TEXT_TYPES:
        return rg.origins_of(value._ao)
    if cls in NUMBER_TYPES:
        return value._ao
    return ()


def origins_in(value: Any) -> Origins:
    """Origins of a value or of the items of a tuple/list/dict (shallow)."""
    found = origins_of(value)
    if type(value) in (tuple, list):
        for item in value:
            found = rg.union(found, origins_of(item))
    elif type(value) is dict:
        for item in value.values():
            found = rg.union(found, origins_of(item))
    return found


def join(sep: Any, iterable: Iterable[Any]) -> Any:
    """`sep.join(iterable)` with the ranges of the separator and of every item."""
    items = iterable if type(iterable) is list else list(iterable)
    base = str if isinstance(sep, str) else bytes
    result = base.join(sep, items)
    try:
        return text(result, _join_ranges(sep, items))
    except Exception:
        report_internal_error("labelled join")
        return result


def _join_ranges(sep: Any, items: list[Any]) -> Ranges:
    sep_ranges = ranges_of(sep)
    step = len(sep)
    pieces: list[tuple[int, Ranges]] = []
    pos = 0
    for i, item in enumerate(items):
        if i and sep_ranges:
            pieces.append((pos - step, sep_ranges))
        item_ranges = ranges_of(item)
        if item_ranges:
            pieces.append((pos, item_ranges))
        pos += len(item) + step
    return rg.join_at(pieces)


def _precision(spec: str) -> int | None:
    """The precision of a format spec (`.N`), which truncates strings."""
    dot = spec.rfind(".")
    if dot < 0:
        return None
    digits = ""
    for ch in spec[dot + 1 :]:
        if not ch.isdigit():
            break
        digits += ch
    return int(digits) if digits else None


def _piecewise(value: Any, result: Any, seg_len: Callable[[Any], int], head: int, tail: int) -> Ranges:
    """Ranges of `result`, a rendering of `value` made segment by segment (escaping, encoding).

    Falls back to one coarse range when the segment lengths do not add up to the result.
    """
    ranges = value._ao
    base = value._base
    n = len(value)
    if len(result) == n + head + tail:
        return rg.shift(ranges, head)
    bounds = sorted({0, n, *(s for s, _, _ in ranges), *(e for _, e, _ in ranges)})
    where = {0: head}
    pos = head
    for a, b in zip(bounds, bounds[1:]):
        pos += seg_len(base.__getitem__(value, slice(a, b)))
        where[b] = pos
    if pos + tail != len(result):
        return rg.coarse(ranges, len(result))
    return tuple((where[s], where[e], o) for s, e, o in ranges)

