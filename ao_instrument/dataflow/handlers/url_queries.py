"""`urllib.parse.urlencode`: each labelled key or value is located in the query by its quoted form."""

from __future__ import annotations

from typing import Any

from ao_instrument.dataflow import ranges as rg
from ao_instrument.dataflow.handlers.guards import exact_type, fail_open, plain_args
from ao_instrument.dataflow.labels import TEXT_TYPES, origins_of, plain, text
from ao_instrument.dataflow.structures import labelled_leaves, normalize_ranges


def _urlencoded(result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if exact_type(result) is not str or not args or plain_args(args, kwargs):
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
        return fail_open("propagating urlencode()", result)


def f_urlencode(f: Any, /, *args: Any, **kwargs: Any) -> Any:
    return _urlencoded(f(*args, **kwargs), args, kwargs)


def m_urlencode(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
    return _urlencoded(receiver.urlencode(*args, **kwargs), args, kwargs)
