"""Responses API (create, parse, stream helper) and embeddings; sync and async."""

from __future__ import annotations

import asyncio

import openai
import pydantic
from fake_llm import FakeLLM
from opentelemetry.trace import SpanKind

from tests.instrument_openai.helpers import MODEL, RESPONSES_WEATHER_TOOL, Telemetry, decoded


def test_create(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reply("answer", input_tokens=9, output_tokens=2)
    response = client.responses.create(
        model=MODEL, input="question?", instructions="Be brief.", temperature=0.5, max_output_tokens=40,
        text={"format": {"type": "text"}},
    )  # fmt: skip
    assert response.output_text == "answer"
    span = content.span()
    attrs = span.attributes
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.response.id"] == "resp_fake1"
    assert attrs["gen_ai.response.model"] == MODEL
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] == 9
    assert attrs["gen_ai.usage.output_tokens"] == 2
    assert attrs["gen_ai.request.temperature"] == 0.5
    assert attrs["gen_ai.request.max_tokens"] == 40
    assert attrs["gen_ai.output.type"] == "text"
    assert decoded(span, "gen_ai.system_instructions") == [{"type": "text", "content": "Be brief."}]
    assert decoded(span, "gen_ai.input.messages") == [
        {"role": "user", "parts": [{"type": "text", "content": "question?"}]}
    ]
    assert decoded(span, "gen_ai.output.messages") == [
        {"role": "assistant", "parts": [{"type": "text", "content": "answer"}], "finish_reason": "stop"}
    ]


def test_create_async(telemetry: Telemetry, fake: FakeLLM, aclient: openai.AsyncOpenAI) -> None:
    response = asyncio.run(aclient.responses.create(model=MODEL, input="question?"))
    assert response.id == "resp_fake1"
    attrs = telemetry.span().attributes
    assert attrs["gen_ai.response.id"] == "resp_fake1"
    assert "gen_ai.input.messages" not in attrs


def test_tool_call_and_history(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    """A history holding the SDK's own output items and a tool result converts to semconv messages."""
    fake.reply_tool_call("get_weather", {"city": "Paris"}, id="call_1")
    first = client.responses.create(model=MODEL, input="weather?", tools=[RESPONSES_WEATHER_TOOL])
    history = [{"role": "user", "content": "weather?"}, *first.output,
               {"type": "function_call_output", "call_id": "call_1", "output": "sunny"}]  # fmt: skip
    client.responses.create(model=MODEL, input=history, tools=[RESPONSES_WEATHER_TOOL])
    first_span, second_span = content.spans()
    assert first_span.attributes["gen_ai.response.finish_reasons"] == ("tool_call",)
    assert decoded(first_span, "gen_ai.tool.definitions")[0]["name"] == "get_weather"
    tool_call = {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}
    assert decoded(first_span, "gen_ai.output.messages") == [
        {"role": "assistant", "parts": [tool_call], "finish_reason": "tool_call"}
    ]
    assert decoded(second_span, "gen_ai.input.messages") == [
        {"role": "user", "parts": [{"type": "text", "content": "weather?"}]},
        {"role": "assistant", "parts": [tool_call]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "sunny"}]},
    ]


def test_incomplete(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reply("cut short", truncated=True)
    response = client.responses.create(model=MODEL, input="long story", max_output_tokens=3)
    assert response.status == "incomplete"
    assert telemetry.span().attributes["gen_ai.response.finish_reasons"] == ("length",)


class Answer(pydantic.BaseModel):
    answer: str


def test_parse(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    response = client.responses.parse(model=MODEL, input="question?", text_format=Answer)
    assert isinstance(response.output_parsed, Answer)
    span = content.span()
    assert span.attributes["gen_ai.output.type"] == "json"
    assert span.attributes["gen_ai.response.id"] == "resp_fake1"


def test_parse_async(telemetry: Telemetry, fake: FakeLLM, aclient: openai.AsyncOpenAI) -> None:
    response = asyncio.run(aclient.responses.parse(model=MODEL, input="question?", text_format=Answer))
    assert isinstance(response.output_parsed, Answer)
    assert telemetry.span().attributes["gen_ai.output.type"] == "json"


def test_create_stream(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reply("streamed answer", input_tokens=4, output_tokens=2)
    stream = client.responses.create(model=MODEL, input="question?", stream=True)
    kinds = [event.type for event in stream]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    span = content.span()
    assert span.attributes["gen_ai.response.id"] == "resp_fake1"
    assert span.attributes["gen_ai.usage.input_tokens"] == 4
    assert decoded(span, "gen_ai.output.messages")[0]["parts"] == [{"type": "text", "content": "streamed answer"}]


def test_stream_helper(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reply_tool_call("get_weather", {"city": "Oslo"}, id="call_2")
    with client.responses.stream(model=MODEL, input="weather?", tools=[RESPONSES_WEATHER_TOOL]) as stream:
        final = stream.get_final_response()
    assert final.output[0].name == "get_weather"
    span = content.span()
    assert span.attributes["gen_ai.response.finish_reasons"] == ("tool_call",)
    assert decoded(span, "gen_ai.output.messages")[0]["parts"][0]["arguments"] == {"city": "Oslo"}


def test_stream_helper_async(telemetry: Telemetry, fake: FakeLLM, aclient: openai.AsyncOpenAI) -> None:
    fake.reply("async helper")

    async def run() -> str:
        async with aclient.responses.stream(model=MODEL, input="question?") as stream:
            return "".join([event.delta async for event in stream if event.type == "response.output_text.delta"])

    assert asyncio.run(run()) == "async helper"
    attrs = telemetry.span().attributes
    assert attrs["gen_ai.response.id"] == "resp_fake1"
    assert attrs["gen_ai.usage.output_tokens"] > 0


def test_stream_helper_closed_early(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reply("several words in this streamed answer")
    with client.responses.stream(model=MODEL, input="question?") as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                break
        assert content.spans() == []
    span = content.span()  # the helper's exit ends the span, with what was streamed so far
    assert span.attributes["gen_ai.response.id"] == "resp_fake1"
    assert "gen_ai.response.finish_reasons" not in span.attributes
    assert decoded(span, "gen_ai.output.messages")[0]["parts"][0]["type"] == "text"


def test_embeddings(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    result = client.embeddings.create(
        model="embed-test", input=["one", "two"], encoding_format="float", dimensions=4
    )
    assert len(result.data) == 2
    span = content.span()
    attrs = span.attributes
    assert span.name == "embeddings embed-test"
    assert attrs["gen_ai.operation.name"] == "embeddings"
    assert attrs["gen_ai.response.model"] == "embed-test"
    assert attrs["gen_ai.request.encoding_formats"] == ("float",)
    assert attrs["gen_ai.embeddings.dimension.count"] == 4
    assert attrs["gen_ai.usage.input_tokens"] > 0
    assert "gen_ai.usage.output_tokens" not in attrs
    assert "gen_ai.output.messages" not in attrs
    assert decoded(span, "gen_ai.input.messages") == [
        {"role": "user", "parts": [{"type": "text", "content": "one"}, {"type": "text", "content": "two"}]}
    ]
    (tokens,) = content.metrics()["gen_ai.client.token.usage"]
    assert tokens.attributes["gen_ai.token.type"] == "input"


def test_embeddings_async(telemetry: Telemetry, fake: FakeLLM, aclient: openai.AsyncOpenAI) -> None:
    result = asyncio.run(aclient.embeddings.create(model="embed-test", input="one"))
    assert result.data[0].embedding
    assert telemetry.span().name == "embeddings embed-test"
