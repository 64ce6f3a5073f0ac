"""Exactly one span per call whatever the SDK's own tracing does, with everything it records; uninstrument."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import anthropic
import anthropic._base_client
import pytest
import wrapt
from fake_llm import FakeLLM
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from ao_instrument.anthropic_sdk import AnthropicInstrumentor
from tests.instrument_anthropic.helpers import HELLO, MODEL, SdkTelemetry

SDK_ATTRIBUTES = ("anthropic.request.id", "http.route", "url.full", "http.response.status_code",
                  "anthropic.response.service_tier", "gen_ai.usage.cache_write.input_tokens")  # fmt: skip
IMAGE_MESSAGE = [{"role": "user", "content": [
    {"type": "text", "text": "What is this?"},
    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
]}]  # fmt: skip


def new_client(fake: FakeLLM, **options: object) -> anthropic.Anthropic:
    """A client made after the environment is set: the SDK reads its tracing options at construction."""
    return anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key="test", max_retries=0, **options)  # type: ignore[arg-type]


def call_both_ways(client: anthropic.Anthropic, messages: list = HELLO) -> None:  # type: ignore[type-arg]
    client.messages.create(model=MODEL, max_tokens=64, messages=messages)
    with client.messages.stream(model=MODEL, max_tokens=64, messages=messages) as stream:
        stream.until_done()


def one_span_per_call(telemetry: SdkTelemetry, calls: int = 2) -> list[dict[str, object]]:
    spans = telemetry.spans()
    assert [s.name for s in spans] == [f"chat {MODEL}"] * calls
    assert telemetry.sdk_spans() == []
    return [dict(s.attributes or {}) for s in spans]


@pytest.mark.parametrize("env", [{}, {"ANTHROPIC_OPEN_TELEMETRY_PROPAGATION": "false"}])
def test_sdk_tracing_on(make_telemetry: Callable[..., SdkTelemetry], fake: FakeLLM, env: dict[str, str]) -> None:
    telemetry = make_telemetry(**env)
    call_both_ways(new_client(fake))
    for attrs in one_span_per_call(telemetry):
        assert all(key in attrs for key in SDK_ATTRIBUTES), attrs
        assert attrs["anthropic.message.stop_reason"] == "end_turn"
        assert "gen_ai.input.messages" not in attrs
    assert ("traceparent" in fake.requests[-1].headers) is not env


@pytest.mark.parametrize("off", ["env", "option"])
def test_sdk_tracing_off(make_telemetry: Callable[..., SdkTelemetry], fake: FakeLLM, off: str) -> None:
    telemetry = make_telemetry(ANTHROPIC_OPEN_TELEMETRY="false") if off == "env" else make_telemetry()
    call_both_ways(new_client(fake, open_telemetry=False) if off == "option" else new_client(fake))
    for attrs in one_span_per_call(telemetry):
        assert not any(key in attrs for key in SDK_ATTRIBUTES)
        assert attrs["gen_ai.response.id"].startswith("msg_fake")  # type: ignore[union-attr]
        assert attrs["gen_ai.usage.output_tokens"] > 0  # type: ignore[operator]


def test_sdk_content_mode(make_telemetry: Callable[..., SdkTelemetry], fake: FakeLLM) -> None:
    """The SDK's content lands on ao's span when ao does not capture content itself."""
    telemetry = make_telemetry(ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE="content")
    call_both_ways(new_client(fake), IMAGE_MESSAGE)
    for attrs in one_span_per_call(telemetry):
        parts = json.loads(attrs["gen_ai.input.messages"])[0]["parts"]  # type: ignore[arg-type]
        assert parts[1] == {"type": "anthropic_image"}  # the SDK's own rendering
        output = json.loads(attrs["gen_ai.output.messages"])  # type: ignore[arg-type]
        assert output[0]["parts"][0]["content"].startswith("reply ")


def test_sdk_content_mode_and_ao_content(make_telemetry: Callable[..., SdkTelemetry], fake: FakeLLM) -> None:
    """Where both record content, ao's stands."""
    telemetry = make_telemetry(ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE="content", AO_CAPTURE_CONTENT="1")
    call_both_ways(new_client(fake), IMAGE_MESSAGE)
    for attrs in one_span_per_call(telemetry):
        parts = json.loads(attrs["gen_ai.input.messages"])[0]["parts"]  # type: ignore[arg-type]
        assert parts[1]["type"] == "blob"
        assert json.loads(attrs["gen_ai.output.messages"])[0]["finish_reason"] == "stop"  # type: ignore[arg-type]
        assert "anthropic.content.truncated" not in attrs


def test_sdk_tracer_provider_option(make_telemetry: Callable[..., SdkTelemetry], fake: FakeLLM) -> None:
    telemetry = make_telemetry()
    own = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(own))
    call_both_ways(new_client(fake, open_telemetry={"tracer_provider": provider}))
    for attrs in one_span_per_call(telemetry):
        assert "anthropic.request.id" in attrs
    assert own.get_finished_spans() == ()


def test_not_sampled(global_spans: InMemorySpanExporter, fake: FakeLLM) -> None:
    """ao's span is not sampled: the SDK makes none either, sends ao's context, and metrics are kept."""
    reader = InMemoryMetricReader()
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=TracerProvider(sampler=ALWAYS_OFF),
                            meter_provider=MeterProvider(metric_readers=[reader]))  # fmt: skip
    global_spans.clear()
    try:
        call_both_ways(new_client(fake))
    finally:
        instrumentor.uninstrument()
    assert global_spans.get_finished_spans() == ()
    assert int(fake.requests[-1].headers["traceparent"].split("-")[3], 16) & 1 == 0  # not sampled
    data = reader.get_metrics_data()
    (duration,) = [m for m in data.resource_metrics[0].scope_metrics[0].metrics if "duration" in m.name]
    assert duration.data.data_points[0].count == 2


def test_other_calls_keep_sdk_spans(telemetry: SdkTelemetry, fake: FakeLLM) -> None:
    new_client(fake).messages.count_tokens(model=MODEL, messages=HELLO)  # type: ignore[arg-type]
    assert telemetry.spans() == []
    assert [s.name for s in telemetry.sdk_spans()] == ["anthropic.messages.count_tokens"]


def wrapped() -> list[bool]:
    """Which of the patched functions are wrapped."""
    messages = anthropic.resources.messages
    functions = [vars(cls)[name] for cls in (messages.Messages, messages.AsyncMessages)
                 for name in ("create", "parse", "stream")]  # fmt: skip
    functions.append(vars(anthropic._base_client)["start_api_call_span"])
    return [isinstance(function, wrapt.FunctionWrapper) for function in functions]


def test_uninstrument(make_telemetry: Callable[..., SdkTelemetry], fake: FakeLLM) -> None:
    telemetry = make_telemetry()
    telemetry.instrumentor.uninstrument()
    assert not any(wrapped())
    client = new_client(fake)
    call_both_ways(client)
    assert telemetry.spans() == []
    # The SDK's own behaviour is back: its own span per call.
    sdk = telemetry.sdk_spans()
    assert [s.name for s in sdk] == ["anthropic.messages.create"] * 2
    assert fake.requests[-1].headers["traceparent"].split("-")[2] == f"{sdk[-1].context.span_id:016x}"

    telemetry.instrumentor.instrument(tracer_provider=TracerProvider())
    assert all(wrapped())


def test_suppressed(telemetry: SdkTelemetry, fake: FakeLLM) -> None:
    client = new_client(fake)
    with suppress_instrumentation():
        call_both_ways(client)
        aclient = anthropic.AsyncAnthropic(base_url=fake.anthropic_base_url, api_key="t", max_retries=0)
        asyncio.run(aclient.messages.create(model=MODEL, max_tokens=64, messages=HELLO))  # type: ignore[arg-type]
    assert telemetry.spans() == []
    assert len(fake.requests) == 3
