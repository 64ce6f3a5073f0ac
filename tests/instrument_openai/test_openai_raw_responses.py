"""Raw responses: `with_raw_response` and `with_streaming_response`, streamed or not, sync and async.

The span ends once, when the body is read (parsed, read whole, iterated), closed unread, or dropped,
with the attributes the same call has without a raw response.
"""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Awaitable, Callable
from typing import Any

import openai
import pydantic
import pytest
from fake_llm import FakeLLM
from opentelemetry.trace import StatusCode

from tests.instrument_openai.helpers import HELLO, MODEL, Telemetry, decoded

LONG = "one two three four five six seven eight nine ten"
USAGE = {"stream_options": {"include_usage": True}}


def assert_chat(telemetry: Telemetry, *, text: str | None = "hi there", stream: bool = False) -> dict[str, Any]:
    """The one span has the response attributes of chat completion `chatcmpl-fake1` (11 in, 3 out)."""
    spans = telemetry.spans()
    assert len(spans) == 1, [s.name for s in spans]
    span = spans[0]
    attrs = dict(span.attributes or {})
    assert span.status.status_code is StatusCode.UNSET
    assert attrs["gen_ai.response.id"] == "chatcmpl-fake1"
    assert attrs["gen_ai.response.model"] == MODEL
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] == 11
    assert attrs["gen_ai.usage.output_tokens"] == 3
    assert attrs["openai.response.system_fingerprint"] == "fp_fake"
    assert attrs.get("gen_ai.request.stream", False) is stream
    if text is not None:
        assert decoded(span, "gen_ai.output.messages") == [
            {"role": "assistant", "parts": [{"type": "text", "content": text}], "finish_reason": "stop"}
        ]
    (duration,) = telemetry.metrics()["gen_ai.client.operation.duration"]
    assert duration.count == 1
    return attrs


def assert_response(telemetry: Telemetry, *, text: str = "hi there") -> None:
    """The one span has the response attributes of Responses API response `resp_fake1` (11 in, 3 out)."""
    span = telemetry.span()
    attrs = span.attributes or {}
    assert span.status.status_code is StatusCode.UNSET
    assert attrs["gen_ai.response.id"] == "resp_fake1"
    assert attrs["gen_ai.response.model"] == MODEL
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (11, 3)
    assert decoded(span, "gen_ai.output.messages") == [
        {"role": "assistant", "parts": [{"type": "text", "content": text}], "finish_reason": "stop"}
    ]


@pytest.fixture(autouse=True)
def reply(fake: FakeLLM) -> None:
    fake.reply("hi there", input_tokens=11, output_tokens=3)


# --- with_raw_response, streamed --------------------------------------------------------------


def test_raw_stream_parsed(content: Telemetry, client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO, stream=True, **USAGE)
    assert raw.headers["x-request-id"] == "req_fake1"
    assert content.spans() == []  # the body is still to come
    stream = raw.parse()
    assert raw.parse() is stream  # the SDK parses once; so does ao
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "hi there"
    assert_chat(content, stream=True)


def test_raw_stream_parsed_async(content: Telemetry, aclient: openai.AsyncOpenAI) -> None:
    async def run() -> list[Any]:
        raw = await aclient.chat.completions.with_raw_response.create(
            model=MODEL, messages=HELLO, stream=True, **USAGE
        )
        assert content.spans() == []
        return [chunk async for chunk in raw.parse()]

    assert asyncio.run(run())[0].id == "chatcmpl-fake1"
    assert_chat(content, stream=True)


def test_raw_responses_stream(content: Telemetry, client: openai.OpenAI) -> None:
    raw = client.responses.with_raw_response.create(model=MODEL, input="question?", stream=True)
    events = list(raw.parse())
    assert events[-1].type == "response.completed"
    assert_response(content)


def test_raw_responses_stream_async(content: Telemetry, aclient: openai.AsyncOpenAI) -> None:
    async def run() -> None:
        raw = await aclient.responses.with_raw_response.create(model=MODEL, input="question?", stream=True)
        async with raw.parse() as stream:
            async for _ in stream:
                pass

    asyncio.run(run())
    assert_response(content)


def test_raw_stream_closed_early(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reset()
    fake.reply(LONG)
    stream = client.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO, stream=True).parse()
    next(stream)
    next(stream)
    stream.close()
    span = content.span()
    assert span.attributes["gen_ai.response.id"] == "chatcmpl-fake1"
    assert "gen_ai.response.finish_reasons" not in span.attributes
    assert LONG.startswith(decoded(span, "gen_ai.output.messages")[0]["parts"][0]["content"])


def test_raw_stream_never_parsed_ends_on_collection(telemetry: Telemetry, client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO, stream=True)
    assert telemetry.spans() == []
    del raw
    gc.collect()
    span = telemetry.span()
    assert span.status.status_code is StatusCode.UNSET
    assert "gen_ai.response.id" not in span.attributes


def test_raw_stream_parsed_then_dropped_ends_with_the_stream(telemetry: Telemetry, client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO, stream=True)
    stream = raw.parse()
    del raw
    gc.collect()
    assert telemetry.spans() == []  # the stream is still the user's to read
    assert [chunk.id for chunk in stream][0] == "chatcmpl-fake1"
    assert telemetry.span().attributes["gen_ai.response.finish_reasons"] == ("stop",)


def test_raw_stream_cut(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reset()
    fake.malformed("cut")
    stream = client.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO, stream=True).parse()
    with pytest.raises(Exception) as raised:
        list(stream)
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == type(raised.value).__qualname__


# --- with_raw_response, whole -----------------------------------------------------------------


def test_raw_whole_ends_before_parse(content: Telemetry, client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO)
    assert_chat(content)  # the SDK read the body before it returned
    assert raw.text == raw.http_response.text  # the legacy response's properties are untouched
    assert raw.parse().choices[0].message.content == "hi there"
    assert len(content.spans()) == 1


class Answer(pydantic.BaseModel):
    city: str


def test_raw_parse_refused_by_the_sdk(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    """The SDK's own parse fails for the user as without ao; the span still has the response."""
    fake.reset()
    fake.reply('{"city": "Pa', truncated=True)
    raw = client.chat.completions.with_raw_response.parse(model=MODEL, messages=HELLO, response_format=Answer)
    for _ in range(2):
        with pytest.raises(openai.LengthFinishReasonError):
            raw.parse()
    attrs = telemetry.span().attributes
    assert attrs["gen_ai.response.finish_reasons"] == ("length",)
    assert attrs["gen_ai.response.id"] == "chatcmpl-fake1"


def test_raw_parse_method(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reset()
    fake.reply('{"city": "Paris"}')
    raw = client.chat.completions.with_raw_response.parse(model=MODEL, messages=HELLO, response_format=Answer)
    parsed = raw.parse()
    assert parsed.choices[0].message.parsed == Answer(city="Paris")
    assert raw.parse() is parsed
    assert telemetry.span().attributes["gen_ai.output.type"] == "json"


def test_raw_responses_whole_async(content: Telemetry, aclient: openai.AsyncOpenAI) -> None:
    raw = asyncio.run(aclient.responses.with_raw_response.create(model=MODEL, input="question?"))
    assert raw.parse().output_text == "hi there"
    assert_response(content)


# --- with_streaming_response, whole -----------------------------------------------------------

Read = Callable[[Any], Any]
READS: dict[str, Read] = {
    "parse": lambda response: response.parse().choices[0].message.content,
    "read": lambda response: json.loads(response.read())["choices"][0]["message"]["content"],
    "text": lambda response: json.loads(response.text())["choices"][0]["message"]["content"],
    "json": lambda response: response.json()["choices"][0]["message"]["content"],
    "iter_bytes": lambda response: json.loads(b"".join(response.iter_bytes(7)))["choices"][0]["message"]["content"],
    "iter_text": lambda response: json.loads("".join(response.iter_text(5)))["choices"][0]["message"]["content"],
    "iter_lines": lambda response: json.loads("\n".join(response.iter_lines()))["choices"][0]["message"]["content"],
}


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_streaming_response_whole(read: Read, content: Telemetry, client: openai.OpenAI) -> None:
    with client.chat.completions.with_streaming_response.create(model=MODEL, messages=HELLO) as response:
        assert content.spans() == []  # the body is not read yet
        assert read(response) == "hi there"
        assert_chat(content)  # ended when the body was read, not at exit
    assert_chat(content)


async def _joined_bytes(response: Any) -> bytes:
    return b"".join([piece async for piece in response.iter_bytes()])


async def _joined_lines(response: Any) -> str:
    return "\n".join([line async for line in response.iter_lines()])


AsyncRead = Callable[[Any], Awaitable[Any]]


async def _parsed(response: Any) -> str:
    return (await response.parse()).choices[0].message.content


async def _read(response: Any) -> str:
    return json.loads(await response.read())["choices"][0]["message"]["content"]


async def _json(response: Any) -> str:
    return (await response.json())["choices"][0]["message"]["content"]


async def _iter_bytes(response: Any) -> str:
    return json.loads(await _joined_bytes(response))["choices"][0]["message"]["content"]


async def _iter_lines(response: Any) -> str:
    return json.loads(await _joined_lines(response))["choices"][0]["message"]["content"]


ASYNC_READS: dict[str, AsyncRead] = {
    "parse": _parsed, "read": _read, "json": _json, "iter_bytes": _iter_bytes, "iter_lines": _iter_lines,
}  # fmt: skip


@pytest.mark.parametrize("read", ASYNC_READS.values(), ids=ASYNC_READS.keys())
def test_streaming_response_whole_async(read: AsyncRead, content: Telemetry, aclient: openai.AsyncOpenAI) -> None:
    async def run() -> str:
        async with aclient.chat.completions.with_streaming_response.create(model=MODEL, messages=HELLO) as response:
            assert content.spans() == []
            return await read(response)

    assert asyncio.run(run()) == "hi there"
    assert_chat(content)


def test_streaming_response_responses_api(content: Telemetry, client: openai.OpenAI) -> None:
    with client.responses.with_streaming_response.create(model=MODEL, input="question?") as response:
        assert response.parse().output_text == "hi there"
    assert_response(content)


def test_streaming_response_embeddings(telemetry: Telemetry, client: openai.OpenAI) -> None:
    with client.embeddings.with_streaming_response.create(model="embed-test", input="some text") as response:
        assert len(response.json()["data"]) == 1
    attrs = telemetry.span().attributes
    assert attrs["gen_ai.operation.name"] == "embeddings"
    assert attrs["gen_ai.response.model"] == "embed-test"
    assert attrs["gen_ai.usage.input_tokens"] == 2


def test_streaming_response_exit_unread(content: Telemetry, client: openai.OpenAI) -> None:
    with client.chat.completions.with_streaming_response.create(model=MODEL, messages=HELLO) as response:
        assert response.status_code == 200
        assert content.spans() == []
    span = content.span()
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["gen_ai.request.model"] == MODEL
    assert "gen_ai.response.id" not in span.attributes
    assert "gen_ai.output.messages" not in span.attributes
    gc.collect()
    assert len(content.spans()) == 1


def test_streaming_response_exit_unread_async(telemetry: Telemetry, aclient: openai.AsyncOpenAI) -> None:
    async def run() -> None:
        async with aclient.responses.with_streaming_response.create(model=MODEL, input="question?") as response:
            assert response.status_code == 200

    asyncio.run(run())
    span = telemetry.span()
    assert span.status.status_code is StatusCode.UNSET
    assert "gen_ai.response.id" not in span.attributes


def test_streaming_response_error(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reset()
    fake.error(500)
    with pytest.raises(openai.InternalServerError):
        with client.chat.completions.with_streaming_response.create(model=MODEL, messages=HELLO):
            pass
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "InternalServerError"


def test_streaming_response_not_json(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reset()
    fake.malformed("json")
    with client.chat.completions.with_streaming_response.create(model=MODEL, messages=HELLO) as response:
        with pytest.raises(ValueError):
            response.json()
    span = telemetry.span()  # the user sees the SDK's error; ao's span ends without a response
    assert span.status.status_code is StatusCode.UNSET
    assert "gen_ai.response.id" not in span.attributes


# --- with_streaming_response, streamed --------------------------------------------------------


def test_streaming_response_stream_parsed(content: Telemetry, client: openai.OpenAI) -> None:
    with client.chat.completions.with_streaming_response.create(
        model=MODEL, messages=HELLO, stream=True, **USAGE
    ) as response:
        chunks = list(response.parse())
        assert_chat(content, stream=True)
    assert chunks[0].id == "chatcmpl-fake1"
    assert_chat(content, stream=True)


def test_streaming_response_stream_lines(content: Telemetry, client: openai.OpenAI) -> None:
    with client.chat.completions.with_streaming_response.create(
        model=MODEL, messages=HELLO, stream=True, **USAGE
    ) as response:
        lines = list(response.iter_lines())
        assert_chat(content, stream=True)
    assert lines[0].startswith("data: {")


def test_streaming_response_stream_read(content: Telemetry, client: openai.OpenAI) -> None:
    with client.responses.with_streaming_response.create(model=MODEL, input="question?", stream=True) as response:
        assert b"response.completed" in response.read()
    assert_response(content)


def test_streaming_response_stream_async(content: Telemetry, aclient: openai.AsyncOpenAI) -> None:
    async def run() -> list[Any]:
        async with aclient.chat.completions.with_streaming_response.create(
            model=MODEL, messages=HELLO, stream=True, **USAGE
        ) as response:
            return [chunk async for chunk in await response.parse()]

    assert asyncio.run(run())[0].id == "chatcmpl-fake1"
    assert_chat(content, stream=True)


def test_streaming_response_stream_bytes_async(content: Telemetry, aclient: openai.AsyncOpenAI) -> None:
    async def run() -> bytes:
        async with aclient.responses.with_streaming_response.create(
            model=MODEL, input="question?", stream=True
        ) as response:
            return await _joined_bytes(response)

    assert b"response.completed" in asyncio.run(run())
    assert_response(content)


def test_streaming_response_stream_exit_unread(telemetry: Telemetry, client: openai.OpenAI) -> None:
    with client.chat.completions.with_streaming_response.create(model=MODEL, messages=HELLO, stream=True):
        pass
    span = telemetry.span()
    assert span.status.status_code is StatusCode.UNSET
    assert "gen_ai.response.id" not in span.attributes


def test_streaming_response_stream_exit_part_read(content: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.reset()
    fake.reply(LONG)
    with client.chat.completions.with_streaming_response.create(model=MODEL, messages=HELLO, stream=True) as response:
        stream = response.parse()
        next(stream)
        next(stream)
        assert content.spans() == []
    span = content.span()
    assert span.attributes["gen_ai.response.id"] == "chatcmpl-fake1"
    assert "gen_ai.response.finish_reasons" not in span.attributes
    assert LONG.startswith(decoded(span, "gen_ai.output.messages")[0]["parts"][0]["content"])
    del stream
    gc.collect()
    assert len(content.spans()) == 1


def test_streaming_response_stream_lines_part_read_async(content: Telemetry, aclient: openai.AsyncOpenAI) -> None:
    async def run() -> None:
        async with aclient.responses.with_streaming_response.create(
            model=MODEL, input="question?", stream=True
        ) as response:
            lines = response.iter_lines()
            for _ in range(6):  # response.created
                await lines.__anext__()
            assert content.spans() == []

    asyncio.run(run())
    span = content.span()
    assert span.attributes["gen_ai.response.id"] == "resp_fake1"
    assert "gen_ai.response.finish_reasons" not in span.attributes


# --- dataflow ---------------------------------------------------------------------------------


def test_parsed_outputs_are_labelled(telemetry: Telemetry, dataflow: Any, client: openai.OpenAI) -> None:
    with client.chat.completions.with_streaming_response.create(model=MODEL, messages=HELLO) as response:
        text = response.parse().choices[0].message.content
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": text}])
    first, second = telemetry.spans()
    assert second.attributes["ao.taint.origins"] == (format(first.context.span_id, "016x"),)


# --- fail open --------------------------------------------------------------------------------


def _broken(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("ao bug")


@pytest.mark.parametrize("broken", ["construct", "finish", "record"])
@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_internal_errors_fail_open(
    read: Read, broken: str, content: Telemetry, client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ao_instrument.genai.provider import Provider
    from ao_instrument.openai_sdk import results, streams

    target = {"construct": (Provider, "construct"), "finish": (results.attrs, "chat_response"),
              "record": (streams.ResultRecorder, "add")}[broken]  # fmt: skip
    monkeypatch.setattr(*target, _broken)
    with client.chat.completions.with_streaming_response.create(model=MODEL, messages=HELLO) as response:
        assert read(response) == "hi there"
        assert response.headers["x-request-id"] == "req_fake1"
    span = content.span()  # ended once anyway
    assert span.status.status_code is StatusCode.UNSET


@pytest.mark.parametrize("way", ["parse", "iter_lines"])
def test_internal_errors_in_raw_streams_fail_open(
    way: str, content: Telemetry, client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ao_instrument.openai_sdk import streams

    monkeypatch.setattr(streams.ChatRecorder, "add", _broken)
    with client.chat.completions.with_streaming_response.create(model=MODEL, messages=HELLO, stream=True) as response:
        if way == "parse":
            text = "".join(chunk.choices[0].delta.content or "" for chunk in response.parse())
        else:
            lines = [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: {")]
            text = "".join(line["choices"][0]["delta"].get("content") or "" for line in lines)
    assert text == "hi there"
    assert len(content.spans()) == 1
