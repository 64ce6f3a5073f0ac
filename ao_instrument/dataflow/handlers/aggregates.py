"""Numeric library functions (`statistics`, `math.sqrt`/`isqrt`/`fsum`/`prod`), which compute in C or
through fractions: their number result takes the origins of every labelled number (or text) in the
arguments. Not checked by module: a user's own `mean(xs)` of labelled numbers gets their origins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ao_instrument.dataflow import ranges as rg
from ao_instrument.dataflow.handlers.guards import exact_type, fail_open, plain_args
from ao_instrument.dataflow.labels import number, origins_of
from ao_instrument.dataflow.structures import labelled_leaves

NAMES = (
    "mean", "fmean", "median", "median_low", "median_high", "median_grouped", "stdev", "pstdev", "variance",
    "pvariance", "geometric_mean", "harmonic_mean", "quantiles", "fsum", "sqrt", "isqrt", "prod",
)  # fmt: skip


def _aggregated(result: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if exact_type(result) not in (int, float) or plain_args(args, kwargs):
        return result
    try:
        origins: rg.Origins = ()
        for leaf in labelled_leaves((args, kwargs)):
            origins = rg.union(origins, origins_of(leaf))
        return number(result, origins)
    except Exception:
        return fail_open(f"propagating {name}()", result)


def method(name: str) -> Callable[..., Any]:
    """`module.name(*args, **kwargs)`."""

    def aggregate_method(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
        return _aggregated(getattr(receiver, name)(*args, **kwargs), name, args, kwargs)

    return aggregate_method


def function(name: str) -> Callable[..., Any]:
    """`name(*args, **kwargs)` of a bare name."""

    def aggregate_function(f: Any, /, *args: Any, **kwargs: Any) -> Any:
        return _aggregated(f(*args, **kwargs), name, args, kwargs)

    return aggregate_function
