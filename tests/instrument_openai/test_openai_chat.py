"""Chat completions: create (whole and streamed), parse, the stream helper, raw responses; sync and async."""

from __future__ import annotations

import asyncio

import openai
import pydantic
import pytest
from fake_llm import FakeLLM
from opentelemetry.trace import SpanKind, StatusCode

from tests.instrument_openai.helpers import HELLO, MODEL, WEATHER_TOOL, Telemetry, decoded
from tests.support.instrumentation import Instrumentation


def _assert_chat_span(telemetry: Telemetry, fake: FakeLLM, *, finish: str = "stop") -> dict:
    span = telemetry.span()
    attrs = dict(span.attributes)
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == MODEL
    assert attrs["gen_ai.response.model"] == MODEL
    assert attrs["gen_ai.response.id"] == "chatcmpl-fake1"
    assert attrs["gen_ai.response.finish_reasons"] == (finish,)
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == fake.port
    assert attrs["ao.call.cached"] is False
    assert len(attrs["ao.call.key"]) == 32
    assert "gen_ai.input.messages" not in attrs  # content capture is off
    return attrs


def test_create(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reply("hi!", input_tokens=11, output_tokens=3)
    completion = client.chat.completions.create(
        model=MODEL, messages=HELLO, temperature=0.3, top_p=0.9, max_tokens=50, stop=["END"], seed=7,
        frequency_penalty=0.1, presence_penalty=0.2, n=2, response_format={"type": "json_object"},
        service_tier="default",
    )  # fmt: skip
    assert completion.choices[0].message.content == "hi!"
    attrs = _assert_chat_span(telemetry, fake)
    assert attrs["gen_ai.usage.input_tokens"] == 11
    assert attrs["gen_ai.usage.output_tokens"] == 3
    assert attrs["gen_ai.request.temperature"] == 0.3
    assert attrs["gen_ai.request.top_p"] == 0.9
    assert attrs["gen_ai.request.max_tokens"] == 50
    assert attrs["gen_ai.request.stop_sequences"] == ("END",)
    assert attrs["gen_ai.request.seed"] == 7
    assert attrs["gen_ai.request.frequency_penalty"] == 0.1
    assert attrs["gen_ai.request.presence_penalty"] == 0.2
    assert attrs["gen_ai.request.choice.count"] == 2
    assert attrs["gen_ai.output.type"] == "json"
    assert attrs["openai.request.service_tier"] == "default"
    assert attrs["openai.response.service_tier"] == "default"
    assert attrs["openai.response.system_fingerprint"] == "fp_fake"


def test_metrics(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reply("hi!", input_tokens=11, output_tokens=3)
    client.chat.completions.create(model=MODEL, messages=HELLO)
    metrics = telemetry.metrics()
    (duration,) = metrics["gen_ai.client.operation.duration"]
    assert duration.count == 1
    assert duration.attributes["gen_ai.response.model"] == MODEL
    assert duration.attributes["server.port"] == fake.port
    tokens = {point.attributes["gen_ai.token.type"]: point.sum for point in metrics["gen_ai.client.token.usage"]}
    assert tokens == {"input": 11, "output": 3}


def test_max_completion_tokens_and_single_stop(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    client.chat.completions.create(model=MODEL, messages=HELLO, max_completion_tokens=20, stop="STOP", n=1)
    attrs = telemetry.span().attributes
    assert attrs["gen_ai.request.max_tokens"] == 20
    assert attrs["gen_ai.request.stop_sequences"] == ("STOP",)
    assert "gen_ai.request.choice.count" not in attrs


def test_create_async(telemetry: Telemetry, fake: FakeLLM, aclient: openai.AsyncOpenAI) -> None:
    fake.reply("hi!")
    completion = asyncio.run(aclient.chat.completions.create(model=MODEL, messages=HELLO))
    assert completion.choices[0].message.content == "hi!"
    _assert_chat_span(telemetry, fake)


def test_tool_call(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reply_tool_call("get_weather", {"city": "Paris"}, id="call_1")
    completion = client.chat.completions.create(model=MODEL, messages=HELLO, tools=[WEATHER_TOOL])
    assert completion.choices[0].message.tool_calls[0].function.name == "get_weather"
    span = content.span()
    assert span.attributes["gen_ai.response.finish_reasons"] == ("tool_call",)
    assert decoded(span, "gen_ai.tool.definitions") == [{
        "type": "function", "name": "get_weather", "description": "Weather in a city",
        "parameters": WEATHER_TOOL["function"]["parameters"],
    }]  # fmt: skip
    assert decoded(span, "gen_ai.output.messages") == [{
        "role": "assistant",
        "parts": [{"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}],
        "finish_reason": "tool_call",
    }]  # fmt: skip


class Weather(pydantic.BaseModel):
    city: str
    degrees: int


def test_parse(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    completion = client.chat.completions.parse(model=MODEL, messages=HELLO, response_format=Weather)
    assert isinstance(completion.choices[0].message.parsed, Weather)
    span = content.span()  # one span: parse does not go through a second, instrumented create
    assert span.attributes["gen_ai.output.type"] == "json"
    assert span.attributes["gen_ai.response.id"] == "chatcmpl-fake1"
    (message,) = decoded(span, "gen_ai.output.messages")
    assert message["parts"][0]["type"] == "text"


def test_parse_async(telemetry: Telemetry, fake: FakeLLM, aclient: openai.AsyncOpenAI) -> None:
    completion = asyncio.run(aclient.chat.completions.parse(model=MODEL, messages=HELLO, response_format=Weather))
    assert isinstance(completion.choices[0].message.parsed, Weather)
    _assert_chat_span(telemetry, fake)


def test_stream(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reply("streamed words here", input_tokens=5, output_tokens=4)
    stream = client.chat.completions.create(
        model=MODEL, messages=HELLO, stream=True, stream_options={"include_usage": True}
    )
    assert isinstance(stream, openai.Stream)
    assert content.spans() == []  # the span ends with the stream
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "streamed words here"
    span = content.span()
    assert span.attributes["gen_ai.request.stream"] is True
    assert span.attributes["gen_ai.response.id"] == "chatcmpl-fake1"
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert span.attributes["gen_ai.usage.input_tokens"] == 5
    assert span.attributes["gen_ai.usage.output_tokens"] == 4
    assert decoded(span, "gen_ai.output.messages") == [
        {"role": "assistant", "parts": [{"type": "text", "content": text}], "finish_reason": "stop"}
    ]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_stream_not_asking_for_usage_gets_it_and_the_program_sees_no_extra_chunk(
    telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI, aclient: openai.AsyncOpenAI, kind: str
) -> None:
    async def read_async() -> list:
        return [c async for c in await aclient.chat.completions.create(model=MODEL, messages=HELLO, stream=True)]

    if kind == "sync":
        chunks = list(client.chat.completions.create(model=MODEL, messages=HELLO, stream=True))
    else:
        chunks = asyncio.run(read_async())
    assert fake.requests[-1].body["stream_options"] == {"include_usage": True}  # ao asked for it
    assert chunks and all(chunk.choices and chunk.usage is None for chunk in chunks)  # as without ao
    attrs = telemetry.span().attributes
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] > 0 and attrs["gen_ai.usage.output_tokens"] > 0


def test_the_stream_usage_request_can_be_switched_off(
    make_telemetry: Instrumentation, fake: FakeLLM, client: openai.OpenAI
) -> None:
    telemetry = make_telemetry(AO_STREAM_USAGE="off")
    for _ in client.chat.completions.create(model=MODEL, messages=HELLO, stream=True):
        pass
    assert "stream_options" not in fake.requests[-1].body
    attrs = telemetry.span().attributes
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert "gen_ai.usage.input_tokens" not in attrs  # unknown, not 0


def test_a_raw_stream_is_sent_as_the_program_made_it(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    with client.chat.completions.with_streaming_response.create(model=MODEL, messages=HELLO, stream=True) as raw:
        raw.read()
    assert "stream_options" not in fake.requests[-1].body


def test_stream_tool_call_deltas(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reply_tool_call("get_weather", {"city": "Paris", "unit": "celsius"}, id="call_9", text="Let me look.")
    with client.chat.completions.create(model=MODEL, messages=HELLO, tools=[WEATHER_TOOL], stream=True) as stream:
        chunks = list(stream)
    assert chunks
    (message,) = decoded(content.span(), "gen_ai.output.messages")
    assert message == {
        "role": "assistant",
        "parts": [
            {"type": "text", "content": "Let me look."},
            {"type": "tool_call", "id": "call_9", "name": "get_weather",
             "arguments": {"city": "Paris", "unit": "celsius"}},
        ],
        "finish_reason": "tool_call",
    }  # fmt: skip


def test_stream_async(content: Telemetry, fake: FakeLLM, aclient: openai.AsyncOpenAI) -> None:
    fake.reply("async stream")

    async def run() -> str:
        stream = await aclient.chat.completions.create(
            model=MODEL, messages=HELLO, stream=True, stream_options={"include_usage": True}
        )
        assert isinstance(stream, openai.AsyncStream)
        return "".join([chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices])

    assert asyncio.run(run()) == "async stream"
    span = content.span()
    assert span.attributes["gen_ai.usage.output_tokens"] > 0
    assert decoded(span, "gen_ai.output.messages")[0]["parts"] == [{"type": "text", "content": "async stream"}]


def test_stream_helper(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reply("helper text")
    with client.chat.completions.stream(model=MODEL, messages=HELLO) as stream:
        deltas = [event.delta for event in stream if event.type == "content.delta"]
        final = stream.get_final_completion()
    assert "".join(deltas) == final.choices[0].message.content == "helper text"
    span = content.span()
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert decoded(span, "gen_ai.input.messages") == [
        {"role": "user", "parts": [{"type": "text", "content": "hello there"}]}
    ]


def test_stream_helper_async(telemetry: Telemetry, fake: FakeLLM, aclient: openai.AsyncOpenAI) -> None:
    async def run() -> str:
        async with aclient.chat.completions.stream(model=MODEL, messages=HELLO) as stream:
            return (await stream.get_final_completion()).choices[0].message.content

    assert asyncio.run(run()).startswith("reply 1")
    _assert_chat_span(telemetry, fake)


def test_with_raw_response(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reply("raw")
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO)
    assert raw.headers["x-request-id"] == "req_fake1"
    assert raw.parse().choices[0].message.content == "raw"
    span = content.span()
    assert span.attributes["gen_ai.response.id"] == "chatcmpl-fake1"
    assert decoded(span, "gen_ai.output.messages")[0]["parts"] == [{"type": "text", "content": "raw"}]


def test_with_raw_response_async(telemetry: Telemetry, fake: FakeLLM, aclient: openai.AsyncOpenAI) -> None:
    raw = asyncio.run(aclient.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO))
    assert raw.parse().id == "chatcmpl-fake1"
    _assert_chat_span(telemetry, fake)


def test_with_raw_response_stream(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO, stream=True)
    assert telemetry.spans() == []  # the body is the user's to read: the span ends with it
    assert [chunk.id for chunk in raw.parse()][0] == "chatcmpl-fake1"
    span = telemetry.span()
    assert span.attributes["gen_ai.request.stream"] is True
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop",)


def test_with_streaming_response(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    with client.chat.completions.with_streaming_response.create(model=MODEL, messages=HELLO) as response:
        assert response.parse().id == "chatcmpl-fake1"
    _assert_chat_span(telemetry, fake)
