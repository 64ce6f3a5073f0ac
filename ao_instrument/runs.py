"""Runs (contract C4): run ids, the `ao.run` root spans, and `ao.run.id` on every span of a run.

The launcher gives the whole process a run (`AO_RUN_ID` in the environment); under plain
`opentelemetry-instrument` the process is one run of its own (`start_process_run`, from the
post-instrument hook); `run(name)` opens a subrun with its own root span and id. The current run lives in a context variable, so concurrent
subruns in threads and asyncio tasks never mix.
"""

from __future__ import annotations

import atexit
import contextvars
import os
import sys
import uuid
from types import TracebackType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import Status, StatusCode

from ao_instrument.genai import semconv as sc

RUN_ID_ENV = "AO_RUN_ID"
_current_run: contextvars.ContextVar[str | None] = contextvars.ContextVar("ao_run_id", default=None)


def new_run_id() -> str:
    """A fresh run id (32 hex digits)."""
    return uuid.uuid4().hex


_process_run: str | None = None
_process_run_span: Any = None


def current_run_id() -> str | None:
    """The innermost run of the current thread or task, else the process's run."""
    return _current_run.get() or os.environ.get(RUN_ID_ENV) or _process_run


def opened_run_id() -> str | None:
    """The run that the launcher or `run()` opened; None in a process's own run, which spans a server's
    whole life and so cannot scope anything that lives per run."""
    return _current_run.get() or os.environ.get(RUN_ID_ENV) or None


def start_process_run(provider: Any) -> str | None:
    """Make this process one run (plain `opentelemetry-instrument`; the launcher makes its own): every
    span gets its `ao.run.id`, and its root span `ao.run NAME` (NAME: the script's file name) starts now
    and ends at exit. The root span is not made the parent of the process's spans: a server's requests
    keep their own traces. Does nothing when a run is set already or `provider` is not the SDK's."""
    global _process_run, _process_run_span
    if _process_run or os.environ.get(RUN_ID_ENV) or not install_run_processor(provider):
        return None
    run_id = _process_run = new_run_id()
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] not in ("", "-c", "-m") else "python"
    tracer = trace.get_tracer("ao_instrument", tracer_provider=provider)
    _process_run_span = tracer.start_span(root_span_name(name), context=Context(),
                                          attributes={sc.AO_RUN_ID: run_id, sc.AO_RUN_NAME: name})  # fmt: skip
    atexit.register(end_process_run)  # before the provider's own exit hook, registered earlier, shuts it down
    return run_id


def end_process_run() -> None:
    """End the root span of this process's run (at exit, or on the signal that ends the process)."""
    global _process_run_span
    span, _process_run_span = _process_run_span, None
    if span is not None:
        span.end()


def root_span_name(name: str) -> str:
    return f"ao.run {name}"


class RunSpanProcessor(SpanProcessor):
    """Stamps `ao.run.id` on every span that starts inside a run."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        run_id = current_run_id()
        if run_id and span.attributes is not None and sc.AO_RUN_ID not in span.attributes:
            span.set_attribute(sc.AO_RUN_ID, run_id)

    def on_end(self, span: ReadableSpan) -> None:
        pass


def install_run_processor(provider: Any) -> bool:
    """Add a `RunSpanProcessor` to an SDK tracer provider once; False for other providers."""
    add = getattr(provider, "add_span_processor", None)
    if add is None or getattr(provider, "_ao_run_processor", False):
        return False
    add(RunSpanProcessor())
    provider._ao_run_processor = True
    return True


class run:  # noqa: N801 - used like a function: `with ao_instrument.run("name"):`
    """A subrun: its own root span `ao.run {name}` (a new trace), its own `ao.run.id`, linked to its parent run.

    Use as `with run("plan"):` or `async with run("plan"):`; `.run_id` is the new id.
    """

    def __init__(
        self, name: str, *, attributes: dict[str, Any] | None = None, tracer_provider: Any = None
    ) -> None:
        self.name = name
        self._tracer_provider = tracer_provider
        self.run_id = new_run_id()
        self._attributes = attributes or {}
        self._span: trace.Span | None = None
        self._tokens: list[Any] = []

    def __enter__(self) -> "run":
        parent = current_run_id()
        attrs: dict[str, Any] = {sc.AO_RUN_ID: self.run_id, sc.AO_RUN_NAME: self.name, **self._attributes}
        if parent:
            attrs[sc.AO_RUN_PARENT_ID] = parent
        tracer = trace.get_tracer("ao_instrument", tracer_provider=self._tracer_provider)
        self._span = tracer.start_span(root_span_name(self.name), context=Context(), attributes=attrs)
        self._tokens = [_current_run.set(self.run_id), otel_context.attach(trace.set_span_in_context(self._span))]
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        run_token, ctx_token = self._tokens
        otel_context.detach(ctx_token)
        _current_run.reset(run_token)
        if self._span is not None:
            if exc is not None:
                self._span.set_attribute(sc.ERROR_TYPE, type(exc).__qualname__)
                self._span.set_status(Status(StatusCode.ERROR, str(exc)[:512]))
            self._span.end()

    async def __aenter__(self) -> "run":
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)
