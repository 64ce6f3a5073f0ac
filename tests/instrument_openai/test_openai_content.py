"""Content capture: the switches, the semconv shapes of OpenAI messages, and the size cap."""

from __future__ import annotations

import json
from collections.abc import Callable

import openai
import pytest
from fake_llm import FakeLLM

from tests.instrument_openai.helpers import HELLO, MODEL, WEATHER_TOOL, Telemetry, decoded
from tests.support.instrumentation import CAPTURE_SWITCHES

CONTENT_KEYS = ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.tool.definitions")


@pytest.mark.parametrize(("env", "captured"), CAPTURE_SWITCHES)
def test_switches(
    make_telemetry: Callable[..., Telemetry], fake: FakeLLM, client: openai.OpenAI, env: dict, captured: bool
) -> None:
    telemetry = make_telemetry(**env)
    client.chat.completions.create(model=MODEL, messages=HELLO, tools=[WEATHER_TOOL])
    attrs = telemetry.span().attributes
    assert [key in attrs for key in CONTENT_KEYS] == [captured] * 3


def test_chat_history_shapes(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    history = [
        {"role": "developer", "content": "Answer in French."},
        {"role": "system", "content": [{"type": "text", "text": "Be brief."}]},
        {"role": "user", "content": [
            {"type": "text", "text": "What is in these?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
            {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
            {"type": "file", "file": {"file_id": "file-1"}},
        ]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
        ]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "assistant", "content": "It is sunny.", "refusal": None},
    ]  # fmt: skip
    client.chat.completions.create(model=MODEL, messages=history)
    assert decoded(content.span(), "gen_ai.input.messages") == [
        {"role": "developer", "parts": [{"type": "text", "content": "Answer in French."}]},
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [
            {"type": "text", "content": "What is in these?"},
            {"type": "uri", "modality": "image", "uri": "https://example.com/cat.png"},
            {"type": "blob", "modality": "image", "mime_type": "image/png", "content": "iVBORw0KGgo="},
            {"type": "blob", "modality": "audio", "mime_type": "audio/wav", "content": "UklGRg=="},
            {"type": "file", "modality": "document", "file_id": "file-1"},
        ]},
        {"role": "assistant", "parts": [
            {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}},
        ]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "sunny"}]},
        {"role": "assistant", "parts": [{"type": "text", "content": "It is sunny."}]},
    ]  # fmt: skip


def test_sdk_message_in_history(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    """A previous completion's message object appended to the history is read like a dict."""
    fake.reply_tool_call("get_weather", {"city": "Rome"}, id="call_7")
    first = client.chat.completions.create(model=MODEL, messages=HELLO, tools=[WEATHER_TOOL])
    history = [*HELLO, first.choices[0].message, {"role": "tool", "tool_call_id": "call_7", "content": "warm"}]
    client.chat.completions.create(model=MODEL, messages=history, tools=[WEATHER_TOOL])
    assert decoded(content.spans()[1], "gen_ai.input.messages")[1] == {
        "role": "assistant",
        "parts": [{"type": "tool_call", "id": "call_7", "name": "get_weather", "arguments": {"city": "Rome"}}],
    }


def test_one_shot_iterable_messages(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    """Messages given as a generator are still sent in full (ao reads its own copy)."""
    client.chat.completions.create(model=MODEL, messages=(message for message in HELLO))
    assert fake.requests[0].body["messages"] == HELLO
    assert decoded(content.span(), "gen_ai.input.messages")[0]["parts"][0]["content"] == "hello there"


def test_responses_input_items(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    items = [
        {"role": "system", "content": "Be brief."},
        {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "Describe"},
            {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "auto"},
            {"type": "input_file", "file_id": "file-2"},
        ]},
    ]  # fmt: skip
    client.responses.create(model=MODEL, input=items, instructions=[{"role": "developer", "content": "Rules."}])
    span = content.span()
    assert decoded(span, "gen_ai.input.messages") == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [
            {"type": "text", "content": "Describe"},
            {"type": "uri", "modality": "image", "uri": "https://example.com/a.png"},
            {"type": "file", "modality": "document", "file_id": "file-2"},
        ]},
    ]  # fmt: skip
    assert decoded(span, "gen_ai.system_instructions") == [{"type": "text", "content": "Rules."}]


def test_truncation(make_telemetry: Callable[..., Telemetry], fake: FakeLLM, client: openai.OpenAI) -> None:
    telemetry = make_telemetry(AO_CAPTURE_CONTENT="1", AO_CAPTURE_MAX_BYTES="2048")
    long_text = "x" * 10_000
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": long_text}])
    text = telemetry.span().attributes["gen_ai.input.messages"]
    assert len(text.encode()) <= 2048
    (message,) = json.loads(text)  # still valid JSON, with a marker
    assert message["parts"][0]["content"].endswith("chars]")
    assert "[ao: truncated" in message["parts"][0]["content"]
    assert fake.requests[0].body["messages"][0]["content"] == long_text  # the request itself is untouched
