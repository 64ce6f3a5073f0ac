"""Fixtures: the fake LLM server, clients pointed at it, and ao's instrumentation with fresh providers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import openai
import pytest
from fake_llm import FakeLLM
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ao_instrument.openai_sdk import OpenAIInstrumentor
from tests.instrument_openai.helpers import Telemetry

ENV = ("AO_CAPTURE_CONTENT", "AO_CAPTURE_MAX_BYTES", "AO_LAUNCHER",
       "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")  # fmt: skip


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
def make_telemetry(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Telemetry]]:
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
        instrumentor = OpenAIInstrumentor()
        instrumentor.instrument(tracer_provider=provider, meter_provider=MeterProvider(metric_readers=[reader]))
        made.append(Telemetry(exporter, reader, instrumentor))
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
def client(fake: FakeLLM) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=fake.openai_base_url, api_key="test", max_retries=0) as client:
        yield client


@pytest.fixture
def aclient(fake: FakeLLM) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=fake.openai_base_url, api_key="test", max_retries=0)
