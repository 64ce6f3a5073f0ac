"""One span per call, with the GenAI attributes and metrics: create, parse, stream; sync and async."""

from __future__ import annotations

import asyncio
from typing import Any

import anthropic
import pydantic
from fake_llm import FakeLLM
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, StatusCode

from tests.instrument_anthropic.helpers import HELLO, MODEL, SdkTelemetry


def assert_chat_span(span: ReadableSpan, fake: FakeLLM, *, stream: bool = False) -> dict[str, Any]:
    attrs = dict(span.attributes or {})
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.instrumentation_scope.name == "ao_instrument.anthropic_sdk"
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "anthropic"
    assert attrs["gen_ai.request.model"] == MODEL
    assert attrs["gen_ai.request.max_tokens"] == 64
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == fake.port
    assert attrs["gen_ai.response.id"].startswith("msg_fake")
    assert attrs["gen_ai.response.model"] == MODEL
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] > 0
    assert attrs["gen_ai.usage.output_tokens"] > 0
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 0
    assert attrs["gen_ai.usage.cache_creation.input_tokens"] == 0
    assert len(attrs["ao.call.key"]) == 32
    assert attrs["ao.call.cached"] is False
    assert attrs.get("gen_ai.request.stream", False) is stream
    assert "gen_ai.input.messages" not in attrs  # content is off by default
    assert span.status.status_code is StatusCode.UNSET  # success leaves it unset, as for OpenAI
    assert "error.type" not in attrs
    return attrs


def test_create(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    fake.reply("Hi!", input_tokens=7, output_tokens=3)
    message = client.messages.create(
        model=MODEL, max_tokens=64, messages=HELLO, stop_sequences=["END"], extra_body={"temperature": 0.2, "top_k": 5}
    )
    assert message.content[0].text == "Hi!"  # type: ignore[union-attr]
    attrs = assert_chat_span(telemetry.span(), fake)
    assert attrs["gen_ai.usage.input_tokens"] == 7
    assert attrs["gen_ai.usage.output_tokens"] == 3
    assert attrs["gen_ai.request.stop_sequences"] == ("END",)
    assert attrs["gen_ai.request.temperature"] == 0.2
    assert attrs["gen_ai.request.top_k"] == 5
    # What the SDK's own tracing recorded is on the same span.
    assert attrs["anthropic.request.id"] == "req_fake1"
    assert attrs["anthropic.message.stop_reason"] == "end_turn"
    assert attrs["anthropic.response.service_tier"] == "standard"
    assert attrs["http.response.status_code"] == 200


def test_metrics(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    fake.reply("Hi!", input_tokens=7, output_tokens=3)
    client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    points = telemetry.metrics()
    (duration,) = points["gen_ai.client.operation.duration"]
    assert duration.count == 1
    assert duration.explicit_bounds[:3] == (0.01, 0.02, 0.04)
    assert duration.attributes["gen_ai.response.model"] == MODEL
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in points["gen_ai.client.token.usage"]}
    assert tokens == {"input": 7, "output": 3}


def test_create_async(telemetry: SdkTelemetry, aclient: anthropic.AsyncAnthropic, fake: FakeLLM) -> None:
    message = asyncio.run(aclient.messages.create(model=MODEL, max_tokens=64, messages=HELLO))
    assert message.id == "msg_fake1"
    attrs = assert_chat_span(telemetry.span(), fake)
    assert attrs["gen_ai.response.id"] == "msg_fake1"


def test_create_stream(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    fake.reply("a streamed answer", input_tokens=9, output_tokens=4)
    stream = client.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True)
    assert isinstance(stream, anthropic.Stream)
    events = []
    for event in stream:
        events.append(event.type)
        assert telemetry.spans() == []  # the span ends with the stream, not before
    assert events[0] == "message_start" and events[-1] == "message_stop"
    attrs = assert_chat_span(telemetry.span(), fake, stream=True)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (9, 4)
    assert attrs["gen_ai.response.time_to_first_chunk"] > 0  # from the SDK's tracing


def test_create_stream_async(telemetry: SdkTelemetry, aclient: anthropic.AsyncAnthropic, fake: FakeLLM) -> None:
    async def run() -> list[str]:
        stream = await aclient.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True)
        assert isinstance(stream, anthropic.AsyncStream)
        async with stream:
            return [event.type async for event in stream]

    assert asyncio.run(run())[-1] == "message_stop"
    assert_chat_span(telemetry.span(), fake, stream=True)


def test_stream_helper(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    fake.reply("streamed by the helper")
    with client.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
        assert "".join(stream.text_stream) == "streamed by the helper"
        assert stream.get_final_message().content[0].text == "streamed by the helper"  # type: ignore[union-attr]
        assert stream.get_final_text() == "streamed by the helper"
    assert_chat_span(telemetry.span(), fake, stream=True)


def test_stream_helper_events(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    with client.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
        kinds = [event.type for event in stream]
    assert "text" in kinds and kinds[-1] == "message_stop"
    assert_chat_span(telemetry.span(), fake, stream=True)


def test_stream_helper_until_done(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    with client.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
        stream.until_done()
        assert stream.current_message_snapshot.id == "msg_fake1"
    assert_chat_span(telemetry.span(), fake, stream=True)


def test_stream_helper_async(telemetry: SdkTelemetry, aclient: anthropic.AsyncAnthropic, fake: FakeLLM) -> None:
    fake.reply("async helper")
    fake.reply("async helper again")

    async def run() -> tuple[str, str]:
        async with aclient.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
            text = "".join([t async for t in stream.text_stream])
        async with aclient.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
            final = await stream.get_final_text()
        return text, final

    assert asyncio.run(run()) == ("async helper", "async helper again")
    spans = telemetry.spans()
    assert len(spans) == 2 and telemetry.sdk_spans() == []
    for span in spans:
        assert_chat_span(span, fake, stream=True)


class Answer(pydantic.BaseModel):
    city: str


def test_parse(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    message = client.messages.parse(model=MODEL, max_tokens=64, messages=HELLO, output_format=Answer)
    assert isinstance(message.parsed_output, Answer)
    assert_chat_span(telemetry.span(), fake)


def test_raw_response(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=64, messages=HELLO)
    assert raw.parse().id == "msg_fake1"
    attrs = dict(telemetry.span().attributes or {})
    assert attrs["gen_ai.response.id"] == "msg_fake1"  # recorded by the SDK's tracing, merged


def test_parent_and_propagation(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(telemetry.exporter))
    with provider.get_tracer("test").start_as_current_span("agent step") as parent:
        client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    (span,) = [s for s in telemetry.spans() if s.name.startswith("chat")]
    assert span.parent is not None and span.parent.span_id == parent.get_span_context().span_id
    # The trace context the SDK sends is ao's span's.
    _, trace_id, span_id, _ = fake.requests[-1].headers["traceparent"].split("-")
    assert (int(trace_id, 16), int(span_id, 16)) == (span.context.trace_id, span.context.span_id)


def test_streaming_response(telemetry: SdkTelemetry, client: anthropic.Anthropic) -> None:
    with client.messages.with_streaming_response.create(model=MODEL, max_tokens=64, messages=HELLO) as response:
        assert response.parse().id == "msg_fake1"
    attrs = dict(telemetry.span().attributes or {})
    assert attrs["http.response.status_code"] == 200
    assert attrs["gen_ai.response.id"] == "msg_fake1"
    assert attrs["gen_ai.usage.output_tokens"] > 0


def test_stop_reasons(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    """Stop reasons as semconv finish reasons, whole and streamed; none of them is an error."""
    for option in ("truncated", "filtered"):
        fake.reply("cut short", **{option: True})
        fake.reply("cut short", **{option: True})
        client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
        list(client.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True))
    spans = telemetry.spans()
    reasons = [s.attributes["gen_ai.response.finish_reasons"] for s in spans]
    assert reasons == [("length",)] * 2 + [("content_filter",)] * 2
    assert all(s.status.status_code is not StatusCode.ERROR and "error.type" not in s.attributes for s in spans)
