"""Responses API statuses other than "completed", as the GenAI semantic conventions record them.

- "failed": span status ERROR with the error's message, `error.type` the provider's error code (also on
  the duration metric), finish reason "error";
- "incomplete": no error; the finish reason says why (max_output_tokens -> "length", content_filter).

Whole, streamed (create(stream=True), the stream helper, a raw response), sync and async.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import openai
import pytest
from fake_llm import FakeLLM
from opentelemetry.trace import StatusCode

from tests.instrument_openai.helpers import MODEL, Telemetry, decoded


def _whole(client: openai.OpenAI) -> Any:
    return client.responses.create(model=MODEL, input="question?")


def _streamed(client: openai.OpenAI) -> Any:
    return list(client.responses.create(model=MODEL, input="question?", stream=True))[-1].response


def _helper(client: openai.OpenAI) -> Any:
    with client.responses.stream(model=MODEL, input="question?") as stream:
        return [event for event in stream if event.type.startswith("response.")][-1].response


def _raw_stream(client: openai.OpenAI) -> Any:
    with client.responses.with_streaming_response.create(model=MODEL, input="question?", stream=True) as raw:
        return list(raw.parse())[-1].response


def _raw_whole(client: openai.OpenAI) -> Any:
    return client.responses.with_raw_response.create(model=MODEL, input="question?").parse()


WAYS: dict[str, Callable[[openai.OpenAI], Any]] = {
    "whole": _whole, "streamed": _streamed, "helper": _helper, "raw_stream": _raw_stream, "raw_whole": _raw_whole,
}  # fmt: skip


@pytest.mark.parametrize("call", WAYS.values(), ids=WAYS.keys())
def test_failed(call: Callable[[openai.OpenAI], Any], content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.fail("rate_limit_exceeded", "slow down")
    response = call(client)
    assert response.status == "failed"  # what the user sees is the SDK's, untouched
    span = content.span()
    attrs = span.attributes or {}
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "slow down"
    assert attrs["error.type"] == "rate_limit_exceeded"
    assert attrs["gen_ai.response.id"] == "resp_fake1"
    assert attrs["gen_ai.response.model"] == MODEL
    assert attrs["gen_ai.response.finish_reasons"] == ("error",)
    assert "gen_ai.usage.output_tokens" not in attrs  # a failed response has no usage
    assert decoded(span, "gen_ai.output.messages") == [{"role": "assistant", "parts": [], "finish_reason": "error"}]
    (duration,) = content.metrics()["gen_ai.client.operation.duration"]
    assert duration.count == 1
    assert duration.attributes["error.type"] == "rate_limit_exceeded"


def test_failed_async(telemetry: Telemetry, fake: FakeLLM, aclient: openai.AsyncOpenAI) -> None:
    fake.fail()
    fake.fail("server_error", "again")

    async def run() -> list[str]:
        whole = await aclient.responses.create(model=MODEL, input="question?")
        events = [event async for event in await aclient.responses.create(model=MODEL, input="q?", stream=True)]
        return [whole.status, events[-1].type]

    assert asyncio.run(run()) == ["failed", "response.failed"]
    first, second = telemetry.spans()
    for span, message in ((first, "The model failed to answer (fake server_error)."), (second, "again")):
        assert span.status.status_code is StatusCode.ERROR
        assert span.status.description == message
        assert span.attributes["error.type"] == "server_error"
        assert span.attributes["gen_ai.response.finish_reasons"] == ("error",)


@pytest.mark.parametrize("call", WAYS.values(), ids=WAYS.keys())
@pytest.mark.parametrize(("option", "reason"), [("truncated", "length"), ("filtered", "content_filter")])
def test_incomplete(
    call: Callable[[openai.OpenAI], Any], option: str, reason: str, content: Telemetry, fake: FakeLLM,
    client: openai.OpenAI,
) -> None:  # fmt: skip
    fake.reply("cut short", input_tokens=5, output_tokens=2, **{option: True})
    response = call(client)
    assert response.status == "incomplete"
    span = content.span()
    attrs = span.attributes or {}
    assert span.status.status_code is StatusCode.UNSET  # incomplete is no error
    assert "error.type" not in attrs
    assert attrs["gen_ai.response.finish_reasons"] == (reason,)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (5, 2)
    (message,) = decoded(span, "gen_ai.output.messages")
    assert message["finish_reason"] == reason
    assert message["parts"] == [{"type": "text", "content": "cut short"}]
    (duration,) = content.metrics()["gen_ai.client.operation.duration"]
    assert "error.type" not in duration.attributes


def test_chat_content_filter(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reply("no", filtered=True)
    fake.reply("no", filtered=True)
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "q"}])
    list(client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "q"}], stream=True))
    for span in telemetry.spans():
        assert span.attributes["gen_ai.response.finish_reasons"] == ("content_filter",)
        assert span.status.status_code is StatusCode.UNSET
