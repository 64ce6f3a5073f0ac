"""Failures: API errors on the span and in metrics, exceptions untouched, invalid arguments, ao failing open."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import httpx2
import openai
import pydantic
import pytest
from fake_llm import FakeLLM
from opentelemetry.trace import StatusCode

from ao_instrument.genai import fail_open
from ao_instrument.openai_sdk import patch, results, streams
from tests.instrument_openai.helpers import HELLO, MODEL, Telemetry


@pytest.mark.parametrize(("status", "error"), [(429, openai.RateLimitError), (500, openai.InternalServerError)])
def test_api_error(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI, status: int, error: type) -> None:
    fake.error(status)
    with pytest.raises(error) as raised:
        client.chat.completions.create(model=MODEL, messages=HELLO)
    assert raised.value.status_code == status
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == error.__name__
    assert [event.name for event in span.events] == ["exception"]
    (duration,) = telemetry.metrics()["gen_ai.client.operation.duration"]
    assert duration.attributes["error.type"] == error.__name__
    assert "gen_ai.client.token.usage" not in telemetry.metrics()


def test_api_error_async(telemetry: Telemetry, fake: FakeLLM, aclient: openai.AsyncOpenAI) -> None:
    fake.error(429)
    with pytest.raises(openai.RateLimitError):
        asyncio.run(aclient.responses.create(model=MODEL, input="question?"))
    assert telemetry.span().attributes["error.type"] == "RateLimitError"


def test_stream_request_error(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.error(500)
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model=MODEL, messages=HELLO, stream=True)
    assert telemetry.span().attributes["error.type"] == "InternalServerError"


def test_malformed_response(telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI) -> None:
    fake.malformed("json")
    with pytest.raises(Exception) as raised:
        client.chat.completions.create(model=MODEL, messages=HELLO)
    assert telemetry.span().attributes["error.type"] == type(raised.value).__qualname__


class Interrupt(BaseException):
    """Raised by the transport; the SDK does not wrap a BaseException, so the same object must arrive."""


def test_exception_identity(telemetry: Telemetry) -> None:
    sentinel = Interrupt("stop")

    def handler(request: httpx2.Request) -> httpx2.Response:
        raise sentinel

    http_client = httpx2.Client(transport=httpx2.MockTransport(handler))
    client = openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="test", max_retries=0, http_client=http_client)
    with pytest.raises(Interrupt) as raised:
        client.chat.completions.create(model=MODEL, messages=HELLO)
    assert raised.value is sentinel
    assert raised.value.__traceback__ is not None
    assert telemetry.span().attributes["error.type"] == "Interrupt"


def _failure(call: Callable[[], Any]) -> tuple[type[BaseException], str]:
    with pytest.raises(BaseException) as raised:
        call()
    return type(raised.value), str(raised.value)


class Weather(pydantic.BaseModel):
    city: str


INVALID: list[Callable[[openai.OpenAI], Any]] = [
    lambda client: client.chat.completions.create(messages=HELLO),  # no model
    lambda client: client.chat.completions.create(model=MODEL),  # no messages
    lambda client: client.chat.completions.create({"model": MODEL}),  # positional
    lambda client: client.chat.completions.create(model=MODEL, messages=HELLO, response_format=Weather),
    lambda client: client.responses.stream(input="question?"),  # no model
    lambda client: client.embeddings.create(input="one"),  # no model
]


def test_invalid_arguments_raise_as_without_ao(
    make_telemetry: Callable[..., Telemetry], fake: FakeLLM, client: openai.OpenAI
) -> None:
    without = [_failure(lambda: call(client)) for call in INVALID]
    make_telemetry(AO_CAPTURE_CONTENT="true")
    assert [_failure(lambda: call(client)) for call in INVALID] == without
    assert fake.requests == []


def test_internal_error_at_start_fails_open(
    telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    def broken(*args: Any) -> Any:
        raise RuntimeError("ao bug")

    monkeypatch.setattr(patch.attrs, "request_attributes", broken)
    monkeypatch.setattr(fail_open, "_reported", set())
    with caplog.at_level(logging.WARNING, logger="ao_instrument"):
        for _ in range(2):
            assert client.chat.completions.create(model=MODEL, messages=HELLO).choices[0].message.content
    assert telemetry.spans() == []
    assert len([r for r in caplog.records if "internal error" in r.getMessage()]) == 1  # logged once


def test_internal_error_at_end_fails_open(
    telemetry: Telemetry, fake: FakeLLM, client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("ao bug")

    monkeypatch.setattr(results.attrs, "chat_response", broken)
    completion = client.chat.completions.create(model=MODEL, messages=HELLO)
    assert completion.id == "chatcmpl-fake1"
    span = telemetry.span()  # ended anyway, without response attributes
    assert "gen_ai.response.id" not in span.attributes


def test_internal_error_in_stream_fails_open(
    content: Telemetry, fake: FakeLLM, client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Any, chunk: Any) -> None:
        raise RuntimeError("ao bug")

    monkeypatch.setattr(streams.ChatRecorder, "add", broken)
    fake.reply("still streamed")
    stream = client.chat.completions.create(model=MODEL, messages=HELLO, stream=True)
    assert "".join(chunk.choices[0].delta.content or "" for chunk in stream) == "still streamed"
    assert len(content.spans()) == 1
