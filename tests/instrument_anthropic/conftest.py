"""Fixtures: the fake LLM server, ao's providers, and the global provider the SDK's own tracing uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import anthropic
import pytest
from fake_llm import FakeLLM
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ao_instrument.anthropic_sdk import AnthropicInstrumentor
from tests.instrument_anthropic.helpers import CannedServer, Telemetry

ENV = (
    "AO_CAPTURE_CONTENT", "AO_LAUNCHER", "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
    "ANTHROPIC_OPEN_TELEMETRY", "ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE", "ANTHROPIC_OPEN_TELEMETRY_PROPAGATION",
)  # fmt: skip


@pytest.fixture(scope="session")
def global_spans() -> InMemorySpanExporter:
    """Spans of the global tracer provider, which the SDK's own tracing uses by default."""
    exporter = InMemorySpanExporter()
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


@pytest.fixture
def fake(fake_server: FakeLLM) -> FakeLLM:
    fake_server.reset()
    return fake_server


@pytest.fixture
def make_telemetry(
    global_spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Telemetry]]:
    """Instrument with fresh providers; keyword arguments set environment variables first."""
    made: list[Telemetry] = []

    def make(**env: str) -> Telemetry:
        for name in ENV:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        reader = InMemoryMetricReader()
        instrumentor = AnthropicInstrumentor()
        instrumentor.instrument(tracer_provider=provider, meter_provider=MeterProvider(metric_readers=[reader]))
        global_spans.clear()
        made.append(Telemetry(exporter, reader, global_spans, instrumentor))
        return made[-1]

    yield make
    for telemetry in made:
        telemetry.instrumentor.uninstrument()


@pytest.fixture
def telemetry(make_telemetry: Callable[..., Telemetry]) -> Telemetry:
    """Instrumented with content capture off (the default outside the ao launcher)."""
    return make_telemetry()


@pytest.fixture
def content(make_telemetry: Callable[..., Telemetry]) -> Telemetry:
    """Instrumented with content capture on."""
    return make_telemetry(AO_CAPTURE_CONTENT="true")


@pytest.fixture
def client(fake: FakeLLM) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key="test", max_retries=0)


@pytest.fixture
def aclient(fake: FakeLLM) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=fake.anthropic_base_url, api_key="test", max_retries=0)


@pytest.fixture
def canned() -> Iterator[CannedServer]:
    server = CannedServer()
    yield server
    server.stop()
