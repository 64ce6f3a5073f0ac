"""With ao's origin tracker: a value taken from any output the user gets, put into a second request,
links the second call's span to the first's (contract C3)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import openai
import pytest
from fake_llm import FakeLLM

from ao_instrument.dataflow.tracker import Tracker
from tests.instrument_openai.helpers import HELLO, MODEL, Telemetry
from tests.support.instrumentation import dataflow_sources, joined


def chat_stream_final(client: openai.OpenAI) -> str:
    with client.chat.completions.stream(model=MODEL, messages=HELLO) as stream:
        return stream.get_final_completion().choices[0].message.content or ""


def chat_stream_snapshot_event(client: openai.OpenAI) -> str:
    with client.chat.completions.stream(model=MODEL, messages=HELLO) as stream:
        chunks = [event for event in stream if event.type == "chunk"]
    return chunks[-1].snapshot.choices[0].message.content or ""


def chat_stream_content_done(client: openai.OpenAI) -> str:
    with client.chat.completions.stream(model=MODEL, messages=HELLO) as stream:
        (done,) = [event for event in stream if event.type == "content.done"]
    return done.content


def chat_stream_current_snapshot(client: openai.OpenAI) -> str:
    with client.chat.completions.stream(model=MODEL, messages=HELLO) as stream:
        stream.until_done()
        return stream.current_completion_snapshot.choices[0].message.content or ""


def responses_stream_final(client: openai.OpenAI) -> str:
    with client.responses.stream(model=MODEL, input="hello there") as stream:
        return stream.get_final_response().output[0].content[0].text  # type: ignore[union-attr]


def chat_raw(client: openai.OpenAI) -> str:
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO)
    return raw.parse().choices[0].message.content or ""


def responses_raw(client: openai.OpenAI) -> str:
    raw = client.responses.with_raw_response.create(model=MODEL, input="hello there")
    return raw.parse().output[0].content[0].text  # type: ignore[union-attr]


def chat_raw_stream(client: openai.OpenAI) -> str:
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO, stream=True)
    return joined(chunk.choices[0].delta.content or "" for chunk in raw.parse() if chunk.choices)


@pytest.mark.parametrize(
    "take",
    [chat_stream_final, chat_stream_snapshot_event, chat_stream_content_done, chat_stream_current_snapshot,
     responses_stream_final, chat_raw, responses_raw, chat_raw_stream],
)  # fmt: skip
def test_output_flows_into_next_request(
    telemetry: Telemetry, dataflow: Tracker, fake: FakeLLM, client: openai.OpenAI, take: Callable[[openai.OpenAI], str]
) -> None:
    value = take(client)
    assert value.startswith("reply 1")
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": value}])
    first, second = telemetry.spans()
    assert dataflow_sources(first) == []
    assert dataflow_sources(second) == [(first.context.span_id, "taint")]


def test_async_helper_streams_flow(
    telemetry: Telemetry, dataflow: Tracker, fake: FakeLLM, aclient: openai.AsyncOpenAI
) -> None:
    async def run() -> tuple[Any, Any]:
        async with aclient.chat.completions.stream(model=MODEL, messages=HELLO) as chat:
            completion = await chat.get_final_completion()
        async with aclient.responses.stream(model=MODEL, input="hello there") as responses:
            response = await responses.get_final_response()
        await aclient.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": completion.choices[0].message.content},
                      {"role": "user", "content": response.output[0].content[0].text}],
        )  # fmt: skip
        return completion, response

    asyncio.run(run())
    chat, responses, last = telemetry.spans()
    assert dataflow_sources(last) == [(chat.context.span_id, "taint"), (responses.context.span_id, "taint")]
