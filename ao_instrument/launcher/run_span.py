"""The run's root span `ao.run {name}`, recorded by the launcher with the OpenTelemetry SDK.

Its ids and start time come from `root_context` (drawn before the command started); its exporter is
the one the standard `OTEL_*` variables name, with ao's outbox and exit deadline (`exporters`). Loaded
by the launcher once the command is running.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ao_instrument import __version__
from ao_instrument.genai import semconv as sc
from ao_instrument.launcher.exit_deadline import EXIT
from ao_instrument.launcher.exporters import span_exporter_from_environment
from ao_instrument.launcher.outbox import OutboxSpanExporter, endpoint_listening
from ao_instrument.launcher.root_context import RootContext
from ao_instrument.runs import root_span_name


class _GivenIds(IdGenerator):
    """The root context's ids (the provider makes one span: the run's root)."""

    def __init__(self, root: RootContext) -> None:
        self._root = root

    def generate_trace_id(self) -> int:
        return self._root.trace_id

    def generate_span_id(self) -> int:
        return self._root.span_id


class RunSpan:
    """The root span of one run, from its start to its export at the launcher's exit."""

    def __init__(
        self,
        root: RootContext,
        name: str,
        attributes: Mapping[str, Any],
        resource: Mapping[str, Any],
        env: Mapping[str, str],
    ) -> None:
        self._provider = TracerProvider(resource=Resource.create(dict(resource)), id_generator=_GivenIds(root))
        self._exporter = span_exporter_from_environment(env)
        if self._exporter is not None:
            self._provider.add_span_processor(BatchSpanProcessor(self._exporter))
        self._env = env
        tracer = self._provider.get_tracer("ao_instrument.launcher", __version__)
        self.span = tracer.start_span(root_span_name(name), attributes=dict(attributes), start_time=root.start_ns)

    def traceparent(self) -> str:
        """The `traceparent` of the span, with the sampler's decision."""
        carrier: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(carrier, trace.set_span_in_context(self.span))
        return carrier["traceparent"]

    def end(self, status: int) -> None:
        """End the span with the command's exit status (negative: the signal that killed it)."""
        if status != 0:
            self.span.set_status(Status(StatusCode.ERROR, f"exit status {status}"))
            self.span.set_attribute(sc.ERROR_TYPE, f"exit {status}" if status > 0 else signal.Signals(-status).name)
        self.span.set_attribute("process.exit.code", status)
        self.span.end()

    def export(self, command_kept_spans: bool) -> None:
        """Export the span; no wait where the command's spans found no endpoint, or nothing listens there now."""
        if isinstance(self._exporter, OutboxSpanExporter):
            EXIT.start(0.0 if command_kept_spans or not endpoint_listening(self._env) else None)
        self._provider.shutdown()

    @property
    def kept(self) -> bool:
        """Whether the span went to the outbox."""
        return isinstance(self._exporter, OutboxSpanExporter) and bool(self._exporter.kept)
