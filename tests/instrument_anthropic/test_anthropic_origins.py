"""The seam to origin tracking: links asked before the span starts, every output handed over; fail open;
with ao's tracker, values taken from each kind of output link the next call to the first."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import anthropic
import pytest
from fake_llm import FakeLLM
from opentelemetry.trace import Link, SpanContext, TraceFlags

from ao_instrument.dataflow.tracker import Tracker
from ao_instrument.genai.origins import set_tracker
from tests.instrument_anthropic.helpers import HELLO, MODEL, SdkTelemetry
from tests.support.instrumentation import dataflow_sources, joined

ORIGIN = SpanContext(trace_id=7, span_id=0xABC, is_remote=False, trace_flags=TraceFlags(1))


class Labelled(str):
    """A text that carries the span id of the call it came from."""

    origin: int


class RecordingTracker:
    """Links every request to `ORIGIN`; records what it is handed, and returns labelled texts."""

    def __init__(self) -> None:
        self.requests: list[Mapping[str, Any]] = []
        self.outputs: list[tuple[str, int]] = []

    def request_links(self, request: Mapping[str, Any]) -> Sequence[Link]:
        self.requests.append(request)
        return [Link(ORIGIN, {"ao.link.type": "dataflow", "ao.dataflow.via": "taint"})]

    def label_output(self, value: Any, origin: SpanContext) -> Any:
        self.outputs.append((type(value).__name__, origin.span_id))
        if isinstance(value, str):
            labelled = Labelled(value)
            labelled.origin = origin.span_id
            return labelled
        return value


class BrokenTracker:
    def request_links(self, request: Mapping[str, Any]) -> Sequence[Link]:
        raise RuntimeError("tracker down")

    def label_output(self, value: Any, origin: SpanContext) -> Any:
        raise RuntimeError("tracker down")


@pytest.fixture
def tracker() -> Iterator[RecordingTracker]:
    tracker = RecordingTracker()
    set_tracker(tracker)
    yield tracker
    set_tracker(None)


def test_links_and_labels(telemetry: SdkTelemetry, client: anthropic.Anthropic, tracker: RecordingTracker) -> None:
    message = client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    span = telemetry.span()
    assert tracker.requests[0]["messages"] == HELLO
    assert [link.context.span_id for link in span.links] == [0xABC]
    assert span.attributes["ao.taint.origins"] == ("0000000000000abc",)  # type: ignore[index]
    assert tracker.outputs == [("Message", span.context.span_id)]
    assert message.id == "msg_fake1"


def test_stream_events_labelled(telemetry: SdkTelemetry, client: anthropic.Anthropic, tracker: RecordingTracker) -> None:
    kinds = [event.type for event in client.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True)]
    span_id = telemetry.span().context.span_id
    assert len(tracker.outputs) == len(kinds) and {origin for _, origin in tracker.outputs} == {span_id}


def test_helper_outputs_labelled(
    telemetry: SdkTelemetry, aclient: anthropic.AsyncAnthropic, fake: FakeLLM, tracker: RecordingTracker
) -> None:
    fake.reply("one two")

    async def run() -> tuple[list[str], Any]:
        async with aclient.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
            texts = [text async for text in stream.text_stream]
            return texts, await stream.get_final_message()

    texts, final = asyncio.run(run())
    span_id = telemetry.span().context.span_id
    assert all(isinstance(text, Labelled) and text.origin == span_id for text in texts)
    assert "".join(texts) == "one two"
    assert ("ParsedMessage", span_id) in tracker.outputs
    assert final.content[0].text == "one two"


def test_broken_tracker_fails_open(
    telemetry: SdkTelemetry, client: anthropic.Anthropic, caplog: pytest.LogCaptureFixture
) -> None:
    set_tracker(BrokenTracker())
    try:
        with caplog.at_level(logging.WARNING, logger="ao_instrument"):
            for _ in range(2):
                assert client.messages.create(model=MODEL, max_tokens=64, messages=HELLO).id.startswith("msg_fake")
            with client.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
                assert stream.get_final_text().startswith("reply")
    finally:
        set_tracker(None)
    assert len(telemetry.spans()) == 3
    assert all(span.links == () for span in telemetry.spans())
    reports = [r for r in caplog.records if r.name == "ao_instrument"]
    assert len(reports) <= 2  # logged once per place, not per call


def first_text(message: Any) -> str:
    return message.content[0].text  # type: ignore[no-any-return]


def stream_final_message(client: anthropic.Anthropic) -> str:
    with client.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
        return first_text(stream.get_final_message())


def stream_text(client: anthropic.Anthropic) -> str:
    with client.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
        return joined(stream.text_stream)


def raw_response(client: anthropic.Anthropic) -> str:
    return first_text(client.messages.with_raw_response.create(model=MODEL, max_tokens=64, messages=HELLO).parse())


def raw_stream(client: anthropic.Anthropic) -> str:
    raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True)
    return joined(event.delta.text for event in raw.parse() if event.type == "content_block_delta")


@pytest.mark.parametrize("take", [stream_final_message, stream_text, raw_response, raw_stream])
def test_output_flows_into_next_request(
    telemetry: SdkTelemetry, dataflow: Tracker, client: anthropic.Anthropic, take: Callable[[anthropic.Anthropic], str]
) -> None:
    """With ao's origin tracker, a value taken from the output links the next call's span to the first."""
    value = take(client)
    assert value.startswith("reply 1")
    client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": value}])
    first, second = telemetry.spans()
    assert dataflow_sources(second) == [(first.context.span_id, "taint")]


def test_async_raw_response_flows(telemetry: SdkTelemetry, dataflow: Tracker, aclient: anthropic.AsyncAnthropic) -> None:
    async def run() -> None:
        raw = await aclient.messages.with_raw_response.create(model=MODEL, max_tokens=64, messages=HELLO)
        value = first_text(await raw.parse())
        await aclient.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": value}])

    asyncio.run(run())
    first, second = telemetry.spans()
    assert dataflow_sources(second) == [(first.context.span_id, "taint")]
