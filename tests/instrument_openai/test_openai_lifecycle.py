"""Instrument and uninstrument, suppression, sampling, parents, the origin-tracking seam, exporter failure."""

from __future__ import annotations

import time
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import openai
import pytest
from fake_llm import FakeLLM
from openai.resources.chat.completions import AsyncCompletions, Completions
from openai.resources.embeddings import AsyncEmbeddings, Embeddings
from openai.resources.responses import AsyncResponses, Responses
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    InMemoryMetricReader,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import Link, SpanContext

from ao_instrument.genai import origins
from ao_instrument.openai_sdk import OpenAIInstrumentor
from tests.instrument_openai.helpers import HELLO, MODEL, Telemetry


def test_uninstrument(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response  # keeps the instrumented `create` it was built with
    client.chat.completions.create(model=MODEL, messages=HELLO)
    telemetry.instrumentor.uninstrument()
    client.chat.completions.create(model=MODEL, messages=HELLO)
    raw.create(model=MODEL, messages=HELLO)
    with client.chat.completions.stream(model=MODEL, messages=HELLO) as stream:
        stream.until_done()
    for _ in client.responses.create(model=MODEL, input="question?", stream=True):
        pass
    client.embeddings.create(model="embed-test", input="one")
    assert len(telemetry.spans()) == 1
    for cls in (Completions, AsyncCompletions, Responses, AsyncResponses, Embeddings, AsyncEmbeddings):
        assert isinstance(cls.create, types.FunctionType)


def test_suppression(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    with suppress_instrumentation():
        client.chat.completions.create(model=MODEL, messages=HELLO)
        for _ in client.chat.completions.create(model=MODEL, messages=HELLO, stream=True):
            pass
    assert telemetry.spans() == []
    client.chat.completions.create(model=MODEL, messages=HELLO)
    assert len(telemetry.spans()) == 1


def test_parent_span(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("agent step") as parent:
        client.chat.completions.create(model=MODEL, messages=HELLO)
    span = telemetry.span()
    assert span.parent is not None
    assert span.parent.span_id == parent.get_span_context().span_id
    assert span.context.trace_id == parent.get_span_context().trace_id


@pytest.fixture
def instrument_with(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[TracerProvider], None]]:
    """Instrument with a given tracer provider (content on); uninstrumented after the test."""
    monkeypatch.setenv("AO_CAPTURE_CONTENT", "1")
    instrumentor = OpenAIInstrumentor()
    yield lambda provider: instrumentor.instrument(tracer_provider=provider)
    instrumentor.uninstrument()


def test_not_sampled(instrument_with: Callable[[TracerProvider], None], fake: FakeLLM, client: openai.OpenAI) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=ALWAYS_OFF)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrument_with(provider)
    assert client.chat.completions.create(model=MODEL, messages=HELLO).id == "chatcmpl-fake1"
    assert [chunk.id for chunk in client.chat.completions.create(model=MODEL, messages=HELLO, stream=True)]
    assert exporter.get_finished_spans() == ()


class Labelled:
    """What a tracker hands back for an output: the user must get it instead of the SDK's object."""

    def __init__(self, value: Any, origin: SpanContext) -> None:
        self.value = value
        self.origin = origin


class RecordingTracker:
    def __init__(self, origin: SpanContext) -> None:
        self.origin = origin
        self.requests: list[Mapping[str, Any]] = []

    def request_links(self, request: Mapping[str, Any]) -> Sequence[Link]:
        self.requests.append(request)
        return [Link(self.origin, {"ao.link.type": "dataflow", "ao.dataflow.via": "taint"})]

    def label_output(self, value: Any, origin: SpanContext) -> Any:
        return Labelled(value, origin)


@pytest.fixture
def tracker() -> Iterator[RecordingTracker]:
    origin = SpanContext(trace_id=1, span_id=0xABC, is_remote=False)
    tracker = RecordingTracker(origin)
    origins.set_tracker(tracker)
    yield tracker
    origins.set_tracker(None)


def test_origin_tracking_seam(
    telemetry: Telemetry, tracker: RecordingTracker, fake: FakeLLM, client: openai.OpenAI
) -> None:
    completion = client.chat.completions.create(model=MODEL, messages=HELLO)
    chunks = list(client.chat.completions.create(model=MODEL, messages=HELLO, stream=True))
    whole, streamed = telemetry.spans()
    assert isinstance(completion, Labelled) and completion.value.id == "chatcmpl-fake1"
    assert completion.origin == whole.context
    assert chunks and all(isinstance(chunk, Labelled) and chunk.origin == streamed.context for chunk in chunks)
    assert tracker.requests[0]["messages"] == HELLO
    for span in (whole, streamed):
        (link,) = span.links
        assert link.context.span_id == 0xABC
        assert link.attributes["ao.dataflow.via"] == "taint"
        assert span.attributes["ao.taint.origins"] == ("0000000000000abc",)


def test_broken_exporter_endpoint(
    instrument_with: Callable[[TracerProvider], None], fake: FakeLLM, client: openai.OpenAI
) -> None:
    """An unreachable OTLP endpoint costs the program nothing beyond the exporter's own timeout."""
    provider = TracerProvider()
    exporter = OTLPSpanExporter(endpoint="http://127.0.0.1:9/v1/traces", timeout=1)
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=50))
    instrument_with(provider)
    started = time.perf_counter()
    for _ in range(20):
        client.chat.completions.create(model=MODEL, messages=HELLO)
    calls = time.perf_counter() - started
    started = time.perf_counter()
    provider.shutdown()
    assert calls < 3  # export happens off the calling thread
    assert time.perf_counter() - started < 4  # shutdown gives up after the exporter's timeout


class KeptMetrics(MetricExporter):
    def __init__(self) -> None:
        super().__init__()
        self.exported: list[MetricsData] = []

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any) -> MetricExportResult:
        self.exported.append(metrics_data)
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        pass


def test_metrics_reach_a_periodic_exporter(fake: FakeLLM, client: openai.OpenAI) -> None:
    """Queued measurements are recorded before each collection, also the last one at shutdown."""
    exporter = KeptMetrics()
    meter_provider = MeterProvider(metric_readers=[PeriodicExportingMetricReader(exporter, 3_600_000)])
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=TracerProvider(), meter_provider=meter_provider)
    try:
        for _ in range(3):
            client.chat.completions.create(model=MODEL, messages=HELLO)
    finally:
        instrumentor.uninstrument()
    meter_provider.shutdown()
    points = [
        point
        for data in exporter.exported
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "gen_ai.client.operation.duration"
        for point in metric.data.data_points
    ]
    assert sum(point.count for point in points) == 3


def test_azure_provider_name(telemetry: Telemetry, fake: FakeLLM) -> None:
    client = openai.AzureOpenAI(base_url=fake.openai_base_url, api_key="test", api_version="2024-10-21", max_retries=0)
    with pytest.raises(openai.NotFoundError):  # the fake server has no Azure deployment routes
        client.chat.completions.create(model=MODEL, messages=HELLO)
    attrs = telemetry.span().attributes
    assert attrs["gen_ai.provider.name"] == "azure.ai.openai"
    assert attrs["server.port"] == fake.port


def test_metrics_after_reinstrumenting_with_the_same_meter_provider(fake: FakeLLM, client: openai.OpenAI) -> None:
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    instrumentor = OpenAIInstrumentor()
    for _ in range(2):
        instrumentor.instrument(tracer_provider=TracerProvider(), meter_provider=meter_provider)
        try:
            client.chat.completions.create(model=MODEL, messages=HELLO)
        finally:
            instrumentor.uninstrument()
    data = reader.get_metrics_data()
    counts = [
        point.count
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "gen_ai.client.operation.duration"
        for point in metric.data.data_points
    ]
    assert counts == [2]
