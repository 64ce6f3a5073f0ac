"""Stream lifecycle: the span ends once, when a stream is exhausted, closed, abandoned or broken."""

from __future__ import annotations

import asyncio
import gc
import time

import openai
import pytest
from fake_llm import FakeLLM
from opentelemetry.trace import StatusCode

from tests.instrument_openai.helpers import HELLO, MODEL, Telemetry, decoded
from tests.support.instrumentation import assert_time_to_first_chunk

LONG = "one two three four five six seven eight nine ten"


def test_abandoned_stream_ends_on_collection(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reply(LONG)
    stream = client.chat.completions.create(model=MODEL, messages=HELLO, stream=True)
    next(stream)
    next(stream)
    assert content.spans() == []
    del stream
    gc.collect()
    span = content.span()
    assert span.status.status_code is StatusCode.UNSET
    assert "gen_ai.response.finish_reasons" not in span.attributes
    (message,) = decoded(span, "gen_ai.output.messages")
    assert LONG.startswith(message["parts"][0]["content"])
    assert message["finish_reason"] == ""


def test_unread_stream_ends_on_collection(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    client.chat.completions.create(model=MODEL, messages=HELLO, stream=True)
    gc.collect()
    assert telemetry.span().attributes["gen_ai.request.model"] == MODEL


def test_abandoned_async_stream(telemetry: Telemetry, fake: FakeLLM, aclient: openai.AsyncOpenAI) -> None:
    async def run() -> None:
        stream = await aclient.responses.create(model=MODEL, input="question?", stream=True)
        await stream.__anext__()

    asyncio.run(run())
    gc.collect()
    assert telemetry.span().attributes["gen_ai.response.id"] == "resp_fake1"


def test_closed_early(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reply(LONG)
    stream = client.chat.completions.create(model=MODEL, messages=HELLO, stream=True)
    first = next(stream)
    assert first.id == "chatcmpl-fake1"
    stream.close()
    span = content.span()
    assert span.attributes["gen_ai.response.id"] == "chatcmpl-fake1"
    stream.close()  # a second close, then collection, do not end it again
    del stream
    gc.collect()
    assert len(content.spans()) == 1


def test_context_manager_exit(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    with client.chat.completions.create(model=MODEL, messages=HELLO, stream=True) as stream:
        next(stream)
    assert telemetry.span().attributes["gen_ai.response.id"] == "chatcmpl-fake1"


def test_async_context_manager_exit(telemetry: Telemetry, fake: FakeLLM, aclient: openai.AsyncOpenAI) -> None:
    async def run() -> None:
        async with await aclient.chat.completions.create(model=MODEL, messages=HELLO, stream=True) as stream:
            await stream.__anext__()

    asyncio.run(run())
    assert telemetry.span().attributes["gen_ai.response.id"] == "chatcmpl-fake1"


def test_chat_stream_helper_closed_early(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reply(LONG)
    with client.chat.completions.stream(model=MODEL, messages=HELLO) as stream:
        next(iter(stream))
        assert telemetry.spans() == []
    assert len(telemetry.spans()) == 1


def test_exhausted_then_closed_ends_once(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    with client.chat.completions.create(model=MODEL, messages=HELLO, stream=True) as stream:
        chunks = list(stream)
    assert chunks
    assert telemetry.span().attributes["gen_ai.response.finish_reasons"] == ("stop",)
    (duration,) = telemetry.metrics()["gen_ai.client.operation.duration"]
    assert duration.count == 1


def test_connection_cut_mid_stream(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.malformed("cut")
    stream = client.chat.completions.create(model=MODEL, messages=HELLO, stream=True)
    with pytest.raises(Exception) as raised:
        for _ in stream:
            pass
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == type(raised.value).__qualname__


def test_async_connection_cut_mid_stream(telemetry: Telemetry, fake: FakeLLM, aclient: openai.AsyncOpenAI) -> None:
    fake.malformed("cut")

    async def run() -> None:
        async for _ in await aclient.responses.create(model=MODEL, input="question?", stream=True):
            pass

    with pytest.raises(Exception):
        asyncio.run(run())
    assert telemetry.span().status.status_code is StatusCode.ERROR


@pytest.mark.parametrize("api", ["chat", "responses"])
def test_time_to_first_chunk(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI, api: str) -> None:
    fake.reply(LONG, delay=0.1)
    if api == "chat":
        stream = client.chat.completions.create(model=MODEL, messages=HELLO, stream=True)
    else:
        stream = client.responses.create(model=MODEL, input="question?", stream=True)
    next(stream)
    time.sleep(0.15)
    list(stream)
    assert_time_to_first_chunk(telemetry, delay=0.1, pause=0.15)


def test_time_to_first_chunk_async(telemetry: Telemetry, fake: FakeLLM, aclient: openai.AsyncOpenAI) -> None:
    async def run() -> None:
        stream = await aclient.chat.completions.create(model=MODEL, messages=HELLO, stream=True)
        await stream.__anext__()
        await asyncio.sleep(0.15)
        async for _ in stream:
            pass

    fake.reply(LONG, delay=0.1)
    asyncio.run(run())
    assert_time_to_first_chunk(telemetry, delay=0.1, pause=0.15)


def test_no_time_to_first_chunk_without_a_stream(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    client.chat.completions.create(model=MODEL, messages=HELLO)
    assert "gen_ai.response.time_to_first_chunk" not in telemetry.span().attributes  # type: ignore[operator]
    assert "gen_ai.client.operation.time_to_first_chunk" not in telemetry.metrics()
