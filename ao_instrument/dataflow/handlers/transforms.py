"""Library calls that rebuild text from their arguments (`base64`, `binascii`, `textwrap`, `urllib.parse`
quoting, `html`, `unicodedata`, `string.capwords`): the result takes every origin of the arguments.

They are recognised by their module, so a user's own `normalize` or `escape` is left to compute what it
computes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ao_instrument.dataflow import ranges as rg
from ao_instrument.dataflow.handlers.guards import exact_type, fail_open, from_library, no_labels
from ao_instrument.dataflow.labels import LBytes, LStr, origins_of, plain, text

NAMES = (
    "b64encode", "b64decode", "urlsafe_b64encode", "urlsafe_b64decode", "standard_b64encode",
    "standard_b64decode", "b32encode", "b32decode", "b16encode", "b16decode", "b85encode", "b85decode",
    "a85encode", "a85decode", "encodebytes", "decodebytes", "hexlify", "unhexlify", "dedent", "indent",
    "fill", "shorten", "wrap", "quote", "quote_plus", "unquote", "unquote_plus", "escape", "unescape",
    "normalize", "capwords",
)  # fmt: skip
TRANSFORMERS = frozenset(
    ("base64", "binascii", "textwrap", "urllib.parse", "html", "xml.sax.saxutils", "unicodedata", "string")
)


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


def _transformed(result: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if no_labels(map(exact_type, args)) and (not kwargs or no_labels(map(exact_type, kwargs.values()))):
        return result
    try:
        return _label_like_args(result, args, kwargs)
    except Exception:
        return fail_open(f"propagating {name}()", result)


def method(name: str) -> Callable[..., Any]:
    """`module.name(*args, **kwargs)`."""

    def transform_method(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = getattr(receiver, name)(*args, **kwargs)
        return _transformed(result, name, args, kwargs) if from_library(receiver, TRANSFORMERS, True) else result

    return transform_method


def function(name: str) -> Callable[..., Any]:
    """`name(*args, **kwargs)` of a bare name."""

    def transform_function(f: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = f(*args, **kwargs)
        return _transformed(result, name, args, kwargs) if from_library(f, TRANSFORMERS, False) else result

    return transform_function
