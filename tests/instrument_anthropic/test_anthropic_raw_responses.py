"""Raw responses: `with_raw_response` and `with_streaming_response`, streamed or not, sync and async.

The span ends once, when the body is read (parsed, read whole, iterated), closed unread, or dropped,
with the attributes the same call has without a raw response, whether or not the SDK's own tracing is on.
"""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Callable
from typing import Any

import anthropic
import pytest
from fake_llm import FakeLLM
from opentelemetry.trace import StatusCode

from tests.instrument_anthropic.helpers import HELLO, MODEL, SdkTelemetry
from tests.support.instrumentation import decoded

LONG = "word " * 40
OUTPUT = [{"role": "assistant", "parts": [{"type": "text", "content": "hi there"}], "finish_reason": "stop"}]
# The SDK's own tracing on (merged into ao's span, which then has its OK status), or off.
SDK_TRACING = {"on": {}, "off": {"ANTHROPIC_OPEN_TELEMETRY": "false"}}


@pytest.fixture(params=SDK_TRACING.values(), ids=SDK_TRACING.keys())
def sdk_env(request: pytest.FixtureRequest) -> dict[str, str]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def traced(make_telemetry: Callable[..., SdkTelemetry], sdk_env: dict[str, str], fake: FakeLLM) -> SdkTelemetry:
    """Content captured; the fake answers "hi there" with 11 input and 3 output tokens."""
    fake.reply("hi there", input_tokens=11, output_tokens=3)
    return make_telemetry(AO_CAPTURE_CONTENT="true", **sdk_env)


@pytest.fixture
def sync_client(traced: SdkTelemetry, fake: FakeLLM) -> anthropic.Anthropic:
    """Made after the environment is set: the SDK reads its tracing options at construction."""
    return anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key="test", max_retries=0)


@pytest.fixture
def async_client(traced: SdkTelemetry, fake: FakeLLM) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=fake.anthropic_base_url, api_key="test", max_retries=0)


def assert_message(telemetry: SdkTelemetry, sdk_env: dict[str, str], *, stream: bool = False) -> dict[str, Any]:
    """The one span has the response attributes of message `msg_fake1`."""
    span = telemetry.span()
    attrs = dict(span.attributes or {})
    assert attrs["gen_ai.response.id"] == "msg_fake1"
    assert attrs["gen_ai.response.model"] == MODEL
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] == 11
    assert attrs["gen_ai.usage.output_tokens"] == 3
    assert attrs.get("gen_ai.request.stream", False) is stream
    assert decoded(span, "gen_ai.output.messages") == OUTPUT
    assert span.status.status_code is StatusCode.UNSET
    (duration,) = telemetry.metrics()["gen_ai.client.operation.duration"]
    assert duration.count == 1
    return attrs


def assert_unread(telemetry: SdkTelemetry) -> None:
    span = telemetry.span()
    attrs = span.attributes or {}
    assert span.status.status_code is StatusCode.UNSET
    assert attrs["gen_ai.request.model"] == MODEL
    assert "gen_ai.response.id" not in attrs
    assert "gen_ai.output.messages" not in attrs
    assert "error.type" not in attrs
    gc.collect()
    assert len(telemetry.spans()) == 1


def create(**extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 64, "messages": HELLO, **extra}


# --- with_raw_response ------------------------------------------------------------------------


def test_raw_whole(traced: SdkTelemetry, sdk_env: dict[str, str], sync_client: anthropic.Anthropic) -> None:
    raw = sync_client.messages.with_raw_response.create(**create())
    assert_message(traced, sdk_env)  # the SDK read the body before it returned
    assert raw.parse().content[0].text == "hi there"  # type: ignore[union-attr]
    assert len(traced.spans()) == 1


def test_raw_whole_async(traced: SdkTelemetry, sdk_env: dict[str, str], async_client: anthropic.AsyncAnthropic) -> None:
    async def run() -> str:
        raw = await async_client.messages.with_raw_response.create(**create())
        return (await raw.parse()).id

    assert asyncio.run(run()) == "msg_fake1"
    assert_message(traced, sdk_env)


def test_raw_stream(traced: SdkTelemetry, sdk_env: dict[str, str], sync_client: anthropic.Anthropic) -> None:
    raw = sync_client.messages.with_raw_response.create(**create(stream=True))
    assert traced.spans() == []  # the body is still to come
    stream = raw.parse()
    assert raw.parse() is stream
    types = [event.type for event in stream]
    assert types[0] == "message_start" and types[-1] == "message_stop"
    assert_message(traced, sdk_env, stream=True)


def test_raw_stream_async(
    traced: SdkTelemetry, sdk_env: dict[str, str], async_client: anthropic.AsyncAnthropic
) -> None:
    async def run() -> list[Any]:
        raw = await async_client.messages.with_raw_response.create(**create(stream=True))
        assert traced.spans() == []
        return [event async for event in await raw.parse()]

    assert asyncio.run(run())[-1].type == "message_stop"
    assert_message(traced, sdk_env, stream=True)


def test_raw_stream_closed_early(traced: SdkTelemetry, fake: FakeLLM, sync_client: anthropic.Anthropic) -> None:
    fake.reset()
    fake.reply(LONG)
    stream = sync_client.messages.with_raw_response.create(**create(stream=True)).parse()
    for event in stream:
        if event.type == "content_block_delta":
            break
    stream.close()
    span = traced.span()
    assert span.attributes["gen_ai.response.id"] == "msg_fake1"  # type: ignore[index]
    assert "gen_ai.response.finish_reasons" not in (span.attributes or {})
    assert LONG.startswith(decoded(span, "gen_ai.output.messages")[0]["parts"][0]["content"])


def test_raw_stream_never_parsed(traced: SdkTelemetry, sync_client: anthropic.Anthropic) -> None:
    raw = sync_client.messages.with_raw_response.create(**create(stream=True))
    del raw
    gc.collect()
    assert_unread(traced)


# --- with_streaming_response, whole -----------------------------------------------------------

READS: dict[str, Callable[[Any], Any]] = {
    "parse": lambda response: response.parse().content[0].text,
    "read": lambda response: json.loads(response.read())["content"][0]["text"],
    "json": lambda response: response.json()["content"][0]["text"],
    "iter_bytes": lambda response: json.loads(b"".join(response.iter_bytes(5)))["content"][0]["text"],
    "iter_lines": lambda response: json.loads("\n".join(response.iter_lines()))["content"][0]["text"],
}


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_streaming_response_whole(
    read: Callable[[Any], Any], traced: SdkTelemetry, sdk_env: dict[str, str], sync_client: anthropic.Anthropic
) -> None:
    with sync_client.messages.with_streaming_response.create(**create()) as response:
        assert traced.spans() == []
        assert read(response) == "hi there"
        assert_message(traced, sdk_env)
    assert_message(traced, sdk_env)


def test_streaming_response_whole_async(
    traced: SdkTelemetry, sdk_env: dict[str, str], async_client: anthropic.AsyncAnthropic
) -> None:
    async def run() -> tuple[str, str]:
        async with async_client.messages.with_streaming_response.create(**create()) as response:
            text = (await response.text())
            return json.loads(text)["content"][0]["text"], (await response.parse()).content[0].text

    assert asyncio.run(run()) == ("hi there", "hi there")
    assert_message(traced, sdk_env)


def test_streaming_response_exit_unread(traced: SdkTelemetry, sync_client: anthropic.Anthropic) -> None:
    with sync_client.messages.with_streaming_response.create(**create()) as response:
        assert response.http_response.status_code == 200
    assert_unread(traced)


def test_streaming_response_exit_unread_async(traced: SdkTelemetry, async_client: anthropic.AsyncAnthropic) -> None:
    async def run() -> None:
        async with async_client.messages.with_streaming_response.create(**create()):
            pass

    asyncio.run(run())
    assert_unread(traced)


def test_streaming_response_error(traced: SdkTelemetry, fake: FakeLLM, sync_client: anthropic.Anthropic) -> None:
    fake.reset()
    fake.error(529)
    with pytest.raises(anthropic.APIStatusError):
        with sync_client.messages.with_streaming_response.create(**create()):
            pass
    span = traced.span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "OverloadedError"  # type: ignore[index]


# --- with_streaming_response, streamed --------------------------------------------------------


def test_streaming_response_stream_parsed(
    traced: SdkTelemetry, sdk_env: dict[str, str], sync_client: anthropic.Anthropic
) -> None:
    with sync_client.messages.with_streaming_response.create(**create(stream=True)) as response:
        events = list(response.parse())
        assert_message(traced, sdk_env, stream=True)
    assert events[0].message.id == "msg_fake1"  # type: ignore[union-attr]
    assert_message(traced, sdk_env, stream=True)


def test_streaming_response_stream_lines(
    traced: SdkTelemetry, sdk_env: dict[str, str], sync_client: anthropic.Anthropic
) -> None:
    with sync_client.messages.with_streaming_response.create(**create(stream=True)) as response:
        lines = list(response.iter_lines())
    assert lines[0] == "event: message_start"
    assert_message(traced, sdk_env, stream=True)


def test_streaming_response_stream_async(
    traced: SdkTelemetry, sdk_env: dict[str, str], async_client: anthropic.AsyncAnthropic
) -> None:
    async def run() -> bytes:
        async with async_client.messages.with_streaming_response.create(**create(stream=True)) as response:
            return await response.read()

    assert b"message_stop" in asyncio.run(run())
    assert_message(traced, sdk_env, stream=True)


def test_streaming_response_stream_parsed_async(
    traced: SdkTelemetry, sdk_env: dict[str, str], async_client: anthropic.AsyncAnthropic
) -> None:
    async def run() -> list[Any]:
        async with async_client.messages.with_streaming_response.create(**create(stream=True)) as response:
            return [event async for event in await response.parse()]

    assert asyncio.run(run())[-1].type == "message_stop"
    assert_message(traced, sdk_env, stream=True)


def test_streaming_response_stream_exit_unread(traced: SdkTelemetry, sync_client: anthropic.Anthropic) -> None:
    with sync_client.messages.with_streaming_response.create(**create(stream=True)):
        pass
    assert_unread(traced)


def test_streaming_response_stream_exit_part_read(
    traced: SdkTelemetry, fake: FakeLLM, sync_client: anthropic.Anthropic
) -> None:
    fake.reset()
    fake.reply(LONG)
    with sync_client.messages.with_streaming_response.create(**create(stream=True)) as response:
        stream = response.parse()
        for event in stream:
            if event.type == "content_block_delta":
                break
        assert traced.spans() == []
    span = traced.span()
    assert span.attributes["gen_ai.response.id"] == "msg_fake1"  # type: ignore[index]
    assert "gen_ai.response.finish_reasons" not in (span.attributes or {})
    assert span.status.status_code is StatusCode.UNSET
    del stream
    gc.collect()
    assert len(traced.spans()) == 1


@pytest.mark.parametrize("stream", [False, True])
def test_internal_errors_fail_open(
    stream: bool, traced: SdkTelemetry, sync_client: anthropic.Anthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ao_instrument.genai.provider import Provider

    def broken(*args: Any) -> Any:
        raise RuntimeError("ao bug")

    monkeypatch.setattr(Provider, "construct", broken)
    with sync_client.messages.with_streaming_response.create(**create(stream=stream)) as response:
        body = response.read()
    assert (b"message_stop" if stream else b'"msg_fake1"') in body
    assert len(traced.spans()) == 1
