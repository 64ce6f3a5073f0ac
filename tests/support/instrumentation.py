"""Support for the instrumentor tests: the fake LLM server, instrumenting with fresh in-memory providers,
reading spans, metrics, content and dataflow links, the content-capture switches, origin tracking, and
running a program under `opentelemetry-instrument`.

The fixtures are imported by the instrumentors' conftests, which define `make_telemetry`.
"""

from __future__ import annotations

import json
import operator
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ao_instrument.dataflow.tracker import Tracker
from ao_instrument.genai.origins import set_tracker

REPO = str(Path(__file__).resolve().parents[2])

# (environment, whether content is captured) under each combination of the capture switches.
CAPTURE_SWITCHES = [
    ({}, False),
    ({"AO_LAUNCHER": "1"}, True),
    ({"AO_LAUNCHER": "1", "AO_CAPTURE_CONTENT": "false"}, False),
    ({"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true"}, True),
    ({"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true", "AO_CAPTURE_CONTENT": "0"}, False),
    ({"AO_CAPTURE_CONTENT": "true"}, True),
]
CAPTURE_ENV = ("AO_CAPTURE_CONTENT", "AO_CAPTURE_MAX_BYTES", "AO_LAUNCHER",
               "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")  # fmt: skip


@dataclass
class Telemetry:
    """ao's spans and metrics in one test."""

    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader
    instrumentor: Any

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def span(self) -> ReadableSpan:
        """The one LLM span of the test."""
        spans = self.spans()
        assert len(spans) == 1, [s.name for s in spans]
        return spans[0]

    def metrics(self) -> dict[str, list[Any]]:
        """Data points by metric name."""
        data = self.reader.get_metrics_data()
        points: dict[str, list[Any]] = {}
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    points.setdefault(metric.name, []).extend(metric.data.data_points)
        return points


class Instrumentation:
    """`make_telemetry(**env)`: set the environment (`env_names` cleared first), then instrument with fresh
    providers; `uninstrument()` undoes every instrumentation made."""

    def __init__(
        self, instrumentor: type, env_names: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, **extra: Any
    ) -> None:
        self.instrumentor = instrumentor
        self.env_names = env_names
        self.monkeypatch = monkeypatch
        self.telemetry_type: type[Telemetry] = extra.pop("telemetry_type", Telemetry)
        self.extra = extra
        self.made: list[Telemetry] = []

    def __call__(self, **env: str) -> Any:
        for name in self.env_names:
            self.monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            self.monkeypatch.setenv(name, value)
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        reader = InMemoryMetricReader()
        instrumentor = self.instrumentor()
        instrumentor.instrument(tracer_provider=provider, meter_provider=MeterProvider(metric_readers=[reader]))
        self.made.append(self.telemetry_type(exporter, reader, instrumentor, **self.extra))
        return self.made[-1]

    def uninstrument(self) -> None:
        for telemetry in self.made:
            telemetry.instrumentor.uninstrument()


@pytest.fixture
def telemetry(make_telemetry: Instrumentation) -> Any:
    """Instrumented with content capture off (the default outside the ao launcher)."""
    return make_telemetry()


@pytest.fixture
def content(make_telemetry: Instrumentation) -> Any:
    """Instrumented with content capture on."""
    return make_telemetry(AO_CAPTURE_CONTENT="true")


@pytest.fixture
def dataflow() -> Iterator[Tracker]:
    """ao's origin tracker, content matching off: every link found comes from a labelled output."""
    tracker = Tracker(content_matching=False)
    set_tracker(tracker)
    yield tracker
    set_tracker(None)


def decoded(span: ReadableSpan, key: str) -> Any:
    """A content attribute decoded from its JSON text."""
    value = (span.attributes or {})[key]
    assert isinstance(value, str)
    return json.loads(value)


def dataflow_sources(span: ReadableSpan) -> list[tuple[int, str]]:
    """(span id, via) of each dataflow link of `span`."""
    return [
        (link.context.span_id, str((link.attributes or {})["ao.dataflow.via"]))
        for link in span.links
        if (link.attributes or {}).get("ao.link.type") == "dataflow"
    ]


def joined(texts: Iterable[str]) -> str:
    """The texts joined with `+`, which keeps their labels (`"".join` does so only in rewritten user code)."""
    return reduce(operator.add, texts, "")


def run_auto_instrumented(program: str, directory: Path, env: dict[str, str], drop: tuple[str, ...]) -> None:
    """Run `program` under `opentelemetry-instrument`, exporting traces by OTLP as `env` says.

    Variables starting with `OTEL_`, `AO_` or one of `drop` are left out of the inherited environment.
    """
    script = directory / "prog.py"
    script.write_text(program)
    full_env = {key: value for key, value in os.environ.items() if not key.startswith(("OTEL_", "AO_", *drop))}
    full_env.update({
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "PYTHONPATH": REPO,
        **env,
    })  # fmt: skip
    instrument = Path(sys.executable).with_name("opentelemetry-instrument")
    done = subprocess.run(
        [str(instrument), sys.executable, str(script)], env=full_env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def assert_time_to_first_chunk(telemetry: Telemetry, *, delay: float, pause: float) -> None:
    """The one span of a stream whose first chunk came after `delay` and whose reader then paused `pause`
    seconds: time to first chunk on the span and in its metric, at least `delay`, and `pause` short of the
    span's duration."""
    span = telemetry.span()
    first = span.attributes["gen_ai.response.time_to_first_chunk"]  # type: ignore[index]
    duration = (span.end_time - span.start_time) / 1e9  # type: ignore[operator]
    assert delay <= first <= duration - pause
    (point,) = telemetry.metrics()["gen_ai.client.operation.time_to_first_chunk"]
    assert point.count == 1 and abs(point.sum - first) < 1e-9
    assert point.attributes["gen_ai.operation.name"] == span.attributes["gen_ai.operation.name"]  # type: ignore[index]
    assert point.explicit_bounds[:3] == (0.01, 0.02, 0.04)
