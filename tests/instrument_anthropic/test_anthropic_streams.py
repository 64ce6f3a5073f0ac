"""The span of a stream ends once: when the stream is exhausted, closed early, or dropped and collected."""

from __future__ import annotations

import asyncio
import gc
import time

import anthropic
from fake_llm import FakeLLM
from opentelemetry.trace import StatusCode

from tests.instrument_anthropic.helpers import HELLO, MODEL, SdkTelemetry
from tests.support.instrumentation import assert_time_to_first_chunk

LONG = "word " * 40


def test_dropped_stream(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    fake.reply(LONG)
    stream = client.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True)
    assert next(iter(stream)).type == "message_start"
    assert telemetry.spans() == []
    del stream
    gc.collect()
    span = telemetry.span()
    assert span.attributes["gen_ai.response.id"] == "msg_fake1"  # type: ignore[index]
    assert span.status.status_code is StatusCode.UNSET
    assert "gen_ai.response.finish_reasons" not in (span.attributes or {})


def test_dropped_stream_helper(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    fake.reply(LONG)
    stream = client.messages.stream(model=MODEL, max_tokens=64, messages=HELLO).__enter__()
    assert next(iter(stream.text_stream)).startswith("word")
    del stream
    gc.collect()
    assert telemetry.span().attributes["gen_ai.response.id"] == "msg_fake1"  # type: ignore[index]


def test_dropped_stream_async(telemetry: SdkTelemetry, aclient: anthropic.AsyncAnthropic, fake: FakeLLM) -> None:
    fake.reply(LONG)

    async def run() -> None:
        stream = await aclient.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True)
        await stream.__anext__()
        del stream
        gc.collect()

    asyncio.run(run())
    assert telemetry.span().attributes["gen_ai.response.id"] == "msg_fake1"  # type: ignore[index]


def test_dropped_unread_stream(telemetry: SdkTelemetry, client: anthropic.Anthropic) -> None:
    stream = client.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True)
    del stream
    gc.collect()
    assert telemetry.span().attributes["http.response.status_code"] == 200  # type: ignore[index]


def test_closed_early(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    fake.reply(LONG)
    stream = client.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True)
    with stream:
        for event in stream:
            if event.type == "content_block_delta":
                break
    span = telemetry.span()
    assert span.attributes["gen_ai.usage.input_tokens"] > 0  # type: ignore[index,operator]
    stream.close()  # closing again ends nothing twice
    assert len(telemetry.spans()) == 1


def test_closed_early_async(telemetry: SdkTelemetry, aclient: anthropic.AsyncAnthropic, fake: FakeLLM) -> None:
    fake.reply(LONG)

    async def run() -> None:
        stream = await aclient.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True)
        await stream.__anext__()
        await stream.close()

    asyncio.run(run())
    telemetry.span()


def test_helper_left_early(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    fake.reply(LONG)
    with client.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
        for _ in stream.text_stream:
            break
        assert telemetry.spans() == []
    telemetry.span()


def test_helper_left_early_async(telemetry: SdkTelemetry, aclient: anthropic.AsyncAnthropic, fake: FakeLLM) -> None:
    fake.reply(LONG)

    async def run() -> None:
        async with aclient.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
            async for _ in stream:
                break

    asyncio.run(run())
    telemetry.span()


def test_exhausted_then_dropped(telemetry: SdkTelemetry, client: anthropic.Anthropic) -> None:
    stream = client.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True)
    for _ in stream:
        pass
    del stream
    gc.collect()
    assert telemetry.span().status.status_code is StatusCode.UNSET


def test_time_to_first_chunk(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    """ao measures it (the SDK's own tracing records one too, on the same span: ao's is kept)."""
    fake.reply(LONG, delay=0.1)
    stream = iter(client.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True))
    next(stream)
    time.sleep(0.15)
    list(stream)
    assert_time_to_first_chunk(telemetry, delay=0.1, pause=0.15)


def test_time_to_first_chunk_of_the_helper_async(
    telemetry: SdkTelemetry, aclient: anthropic.AsyncAnthropic, fake: FakeLLM
) -> None:
    async def run() -> None:
        async with aclient.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
            events = stream.__aiter__()
            await events.__anext__()
            await asyncio.sleep(0.15)
            async for _ in events:
                pass

    fake.reply(LONG, delay=0.1)
    asyncio.run(run())
    assert_time_to_first_chunk(telemetry, delay=0.1, pause=0.15)
