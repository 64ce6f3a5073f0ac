"""Errors, malformed answers and delays, as the real SDKs report them."""

from __future__ import annotations

import json
import time

import anthropic
import httpx2
import openai
import pytest

from fake_llm import FakeLLM

USER = [{"role": "user", "content": "hello"}]


def chat(client: openai.OpenAI, **kwargs: object) -> object:
    return client.chat.completions.create(model="gpt-4o", messages=USER, **kwargs)


def claude_create(client: anthropic.Anthropic, **kwargs: object) -> object:
    return client.messages.create(model="claude-sonnet-4-6", max_tokens=50, messages=USER, **kwargs)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (503, openai.InternalServerError),
    ],
)
def test_openai_status_errors(fake: FakeLLM, oai: openai.OpenAI, status: int, error: type[Exception]) -> None:
    fake.error(status)
    with pytest.raises(error) as raised:
        chat(oai)
    assert raised.value.status_code == status
    assert raised.value.body["message"]  # the SDK unwraps {"error": {...}}


def test_openai_429_carries_retry_after_and_is_retried(fake: FakeLLM, oai: openai.OpenAI) -> None:
    fake.error(429, "slow down", retry_after=3)
    with pytest.raises(openai.RateLimitError) as raised:
        chat(oai)
    headers = raised.value.response.headers
    assert headers["retry-after"] == "3" and headers["retry-after-ms"] == "3000"
    assert raised.value.body == {"message": "slow down", "type": "requests", "param": None, "code": "rate_limit_exceeded"}
    fake.error(429, retry_after=0.05)
    retrying = oai.with_options(max_retries=1)
    assert chat(retrying).choices[0].message.content == "reply 3 to: hello"


@pytest.mark.parametrize(
    ("status", "error", "kind"),
    [
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.OverloadedError, "overloaded_error"),
    ],
)
def test_anthropic_status_errors(
    fake: FakeLLM, claude: anthropic.Anthropic, status: int, error: type[Exception], kind: str
) -> None:
    fake.error(status)
    with pytest.raises(error) as raised:
        claude_create(claude)
    assert raised.value.body["error"]["type"] == kind
    assert raised.value.response.headers["request-id"] == "req_fake1"


def test_error_on_a_stream_request(fake: FakeLLM, oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    fake.error(500)
    with pytest.raises(openai.InternalServerError):
        chat(oai, stream=True)
    fake.error(429)
    with pytest.raises(anthropic.RateLimitError):
        with claude.messages.stream(model="claude-sonnet-4-6", max_tokens=50, messages=USER) as stream:
            stream.get_final_message()


def test_invalid_json_body(fake: FakeLLM, oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    fake.malformed("json")
    with pytest.raises(json.JSONDecodeError):
        chat(oai)
    fake.malformed("json")
    with pytest.raises(json.JSONDecodeError):
        claude_create(claude)


def test_invalid_json_in_a_stream(fake: FakeLLM, oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    fake.malformed("json")
    stream = chat(oai, stream=True)
    with pytest.raises(json.JSONDecodeError):
        list(stream)
    fake.malformed("json")
    with pytest.raises(json.JSONDecodeError):
        with claude.messages.stream(model="claude-sonnet-4-6", max_tokens=50, messages=USER) as events:
            events.get_final_message()


def test_wrong_shape_fails_strict_validation(fake: FakeLLM) -> None:
    strict = openai.OpenAI(
        base_url=fake.openai_base_url, api_key="sk-fake", max_retries=0, _strict_response_validation=True
    )
    fake.malformed("schema")
    with pytest.raises(openai.APIResponseValidationError):
        chat(strict)


def test_cut_body_and_cut_stream(fake: FakeLLM, oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    fake.malformed("cut")
    with pytest.raises(openai.APIConnectionError):
        chat(oai)
    fake.malformed("cut")
    received = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in chat(oai, stream=True):
            received.append(chunk)
    assert received, "the stream is cut after some chunks, not before"
    fake.malformed("cut")
    with pytest.raises(openai.APIConnectionError):
        with oai.responses.stream(model="gpt-4.1", input="hi") as stream:
            stream.get_final_response()
    fake.malformed("cut")
    # anthropic < 2.17 lets the transport's error of a stream body through; newer releases wrap it in
    # APIConnectionError with that error as its cause. Either way the cut is what is reported.
    with pytest.raises((anthropic.APIConnectionError, httpx2.RemoteProtocolError)) as cut:
        with claude.messages.stream(model="claude-sonnet-4-6", max_tokens=50, messages=USER) as events:
            events.get_final_message()
    error = cut.value if isinstance(cut.value, httpx2.RemoteProtocolError) else cut.value.__cause__
    assert isinstance(error, httpx2.RemoteProtocolError), repr(cut.value)
    assert chat(oai).choices[0].message.content == "reply 5 to: hello", "the server keeps serving"


def test_delay(fake: FakeLLM, oai: openai.OpenAI) -> None:
    fake.reply("slow", delay=0.3)
    started = time.monotonic()
    assert chat(oai).choices[0].message.content == "slow"
    assert time.monotonic() - started >= 0.3
    fake.reply("too slow", delay=0.5)
    with pytest.raises(openai.APITimeoutError):
        chat(oai.with_options(timeout=0.1))
