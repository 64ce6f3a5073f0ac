"""Content capture: semconv message JSON for input, system, tools, output; tool use; thinking; the policy."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import anthropic
import pytest
from fake_llm import FakeLLM

from tests.instrument_anthropic.helpers import HELLO, MODEL, CannedServer, SdkTelemetry
from tests.support.instrumentation import CAPTURE_SWITCHES

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "The weather in a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
QUESTION = {"role": "user", "content": "Weather in Paris?"}
TOOL_CALL = {"type": "tool_call", "id": "toolu_1", "name": "get_weather", "arguments": {"city": "Paris"}}


CONTENT_KEYS = ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions", "gen_ai.tool.definitions")


def content_of(telemetry: SdkTelemetry, index: int = -1) -> dict[str, Any]:
    attrs = telemetry.spans()[index].attributes or {}
    return {key.split(".", 1)[1]: json.loads(attrs[key]) for key in CONTENT_KEYS if key in attrs}  # type: ignore[arg-type]


def test_request_and_response(content: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    fake.reply("Sunny.")
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
    client.messages.create(
        model=MODEL,
        max_tokens=64,
        system="Be brief.",
        messages=[{"role": "user", "content": [{"type": "text", "text": "What is this?"}, image]}],
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
    )
    assert content_of(content) == {
        "input.messages": [{"role": "user", "parts": [
            {"type": "text", "content": "What is this?"},
            {"type": "blob", "modality": "image", "mime_type": "image/png", "content": "iVBORw0KGgo="},
        ]}],
        "output.messages": [{"role": "assistant", "parts": [{"type": "text", "content": "Sunny."}],
                             "finish_reason": "stop"}],
        "system_instructions": [{"type": "text", "content": "Be brief."}],
        "tool.definitions": [{"type": "function", "name": "get_weather", "description": "The weather in a city",
                              "parameters": WEATHER_TOOL["input_schema"]}],
    }  # fmt: skip


def test_tool_use_round_trip(content: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    fake.reply_tool_call("get_weather", {"city": "Paris"}, id="toolu_1")
    fake.reply("Rainy in Paris.")
    first = client.messages.create(model=MODEL, max_tokens=64, messages=[QUESTION], tools=[WEATHER_TOOL])  # type: ignore[list-item]
    assert first.stop_reason == "tool_use"
    result = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "rainy, 12°C"}
    history = [QUESTION, {"role": "assistant", "content": first.content}, {"role": "user", "content": [result]}]
    client.messages.create(model=MODEL, max_tokens=64, messages=history, tools=[WEATHER_TOOL])  # type: ignore[arg-type,list-item]

    assert content_of(content, 0)["output.messages"] == [
        {"role": "assistant", "parts": [TOOL_CALL], "finish_reason": "tool_call"}
    ]
    assert content.spans()[0].attributes["gen_ai.response.finish_reasons"] == ("tool_call",)  # type: ignore[index]
    assert content_of(content, 1)["input.messages"] == [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
        {"role": "assistant", "parts": [TOOL_CALL]},
        {"role": "user", "parts": [{"type": "tool_call_response", "id": "toolu_1", "response": "rainy, 12°C"}]},
    ]


def test_streamed_tool_call(content: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    fake.reply_tool_call("get_weather", {"city": "Paris"}, id="toolu_1", text="Let me look.")
    stream = client.messages.create(model=MODEL, max_tokens=64, messages=[QUESTION], tools=[WEATHER_TOOL], stream=True)  # type: ignore[list-item]
    for _ in stream:
        pass
    assert content_of(content)["output.messages"] == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Let me look."}, TOOL_CALL],
         "finish_reason": "tool_call"}
    ]  # fmt: skip


def test_stream_helper_output(content: SdkTelemetry, aclient: anthropic.AsyncAnthropic, fake: FakeLLM) -> None:
    fake.reply("Streamed words, several of them.")

    async def run() -> None:
        async with aclient.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
            await stream.until_done()

    asyncio.run(run())
    assert content_of(content)["output.messages"][0]["parts"] == [
        {"type": "text", "content": "Streamed words, several of them."}
    ]


THINKING_MESSAGE = {
    "id": "msg_think", "type": "message", "role": "assistant", "model": MODEL, "stop_reason": "end_turn",
    "stop_sequence": None, "usage": {"input_tokens": 5, "output_tokens": 7},
    "content": [{"type": "thinking", "thinking": "Six times seven.", "signature": "c2ln"},
                {"type": "text", "text": "42"}],
}  # fmt: skip
THINKING_EVENTS: list[dict[str, Any]] = [
    {"type": "message_start", "message": {**THINKING_MESSAGE, "content": [], "stop_reason": None,
                                          "usage": {"input_tokens": 5, "output_tokens": 1}}},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Six times "}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "seven."}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "c2ln"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "42"}},
    {"type": "content_block_stop", "index": 1},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
     "usage": {"output_tokens": 7}},
    {"type": "message_stop"},
]  # fmt: skip
THINKING_OUTPUT = [{"role": "assistant", "finish_reason": "stop", "parts": [
    {"type": "reasoning", "content": "Six times seven."}, {"type": "text", "content": "42"}]}]  # fmt: skip


@pytest.mark.parametrize("stream", [False, True])
def test_thinking(content: SdkTelemetry, canned: CannedServer, stream: bool) -> None:
    canned.message, canned.events = THINKING_MESSAGE, THINKING_EVENTS
    client = anthropic.Anthropic(base_url=canned.url, api_key="test", max_retries=0)
    request: dict[str, Any] = {"model": MODEL, "max_tokens": 64, "messages": HELLO,
                               "thinking": {"type": "enabled", "budget_tokens": 32}}  # fmt: skip
    if stream:
        with client.messages.stream(**request) as events:
            events.until_done()
    else:
        client.messages.create(**request)
    assert content_of(content)["output.messages"] == THINKING_OUTPUT
    attrs = content.span().attributes or {}
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (5, 7)
    assert attrs["anthropic.thinking.budget_tokens"] == 32  # from the SDK's tracing


@pytest.mark.parametrize(("env", "captured"), CAPTURE_SWITCHES)
def test_policy(
    make_telemetry: Callable[..., SdkTelemetry], client: anthropic.Anthropic, env: dict[str, str], captured: bool
) -> None:
    telemetry = make_telemetry(**env)
    client.messages.create(model=MODEL, max_tokens=64, messages=HELLO, system="Be brief.", tools=[WEATHER_TOOL])  # type: ignore[list-item]
    with client.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
        stream.until_done()
    created, streamed = telemetry.spans()
    assert set(CONTENT_KEYS) & set(streamed.attributes or {}) == ({*CONTENT_KEYS[:2]} if captured else set())
    assert set(CONTENT_KEYS) & set(created.attributes or {}) == (set(CONTENT_KEYS) if captured else set())


def test_size_cap(make_telemetry: Callable[..., SdkTelemetry], client: anthropic.Anthropic) -> None:
    telemetry = make_telemetry(AO_CAPTURE_CONTENT="1", AO_CAPTURE_MAX_BYTES="2048")
    client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "x" * 10_000}])
    text = telemetry.span().attributes["gen_ai.input.messages"]  # type: ignore[index]
    assert len(text.encode()) <= 2048  # type: ignore[union-attr]
    assert "[ao: truncated" in json.loads(text)[0]["parts"][0]["content"]  # type: ignore[arg-type]
