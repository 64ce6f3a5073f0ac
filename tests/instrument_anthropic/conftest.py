"""Fixtures: the fake LLM server, ao's providers, and the global provider the SDK's own tracing uses."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import pytest
from fake_llm import FakeLLM
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ao_instrument.anthropic_sdk import AnthropicInstrumentor
from tests.instrument_anthropic.helpers import CannedServer, SdkTelemetry
from tests.support.instrumentation import CAPTURE_ENV, Instrumentation
from tests.support.instrumentation import content, dataflow, telemetry  # noqa: F401

ENV = (*CAPTURE_ENV, "ANTHROPIC_OPEN_TELEMETRY", "ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE",
       "ANTHROPIC_OPEN_TELEMETRY_PROPAGATION")  # fmt: skip


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


@pytest.fixture
def make_telemetry(global_spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> Iterator[Instrumentation]:
    """Instrument with fresh providers; keyword arguments set environment variables first."""
    instrumentation = Instrumentation(
        AnthropicInstrumentor, ENV, monkeypatch, telemetry_type=SdkTelemetry, global_exporter=global_spans
    )
    yield instrumentation
    instrumentation.uninstrument()


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
