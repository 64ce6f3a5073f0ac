"""Fixtures for origin tracking tests: fake origins, labelled values, code run rewritten in-process."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.trace import SpanContext

from ao_instrument.dataflow import ranges as rg
from ao_instrument.dataflow.content_match import ContentIndex
from ao_instrument.dataflow.import_hook import compile_user_source
from ao_instrument.dataflow.labels import origins_of, text
from ao_instrument.dataflow.scopes import Origin, Scopes


@pytest.fixture
def scopes() -> Scopes:
    return Scopes(ContentIndex)


@pytest.fixture
def origin(scopes: Scopes) -> Callable[[int], Origin]:
    """`origin(n)`: the origin of a fake call with span id n."""

    def make(n: int) -> Origin:
        return scopes.origin(SpanContext(trace_id=7, span_id=n, is_remote=False), ())

    return make


def label(value: str, origin: Origin) -> Any:
    """`value` as an LLM output of `origin`."""
    return text(value, rg.whole((origin,), len(value)))


def ids(value: Any) -> set[int]:
    """Span ids of the origins a value carries."""
    return {o.context.span_id for o in origins_of(value)}


def run(source: str, **names: Any) -> dict[str, Any]:
    """Execute `source` rewritten with `names` as globals; its namespace."""
    namespace: dict[str, Any] = {"__name__": "rewritten", **names}
    exec(compile_user_source(textwrap.dedent(source), "<rewritten>"), namespace)
    return namespace


def run_plain(source: str, **names: Any) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "plain", **names}
    exec(compile(textwrap.dedent(source), "<plain>", "exec"), namespace)
    return namespace
