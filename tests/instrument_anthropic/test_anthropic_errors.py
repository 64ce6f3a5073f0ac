"""Failures: `error.type`, ERROR status and metrics, the exception re-raised untouched; invalid arguments."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import Any

import anthropic
import pytest
from fake_llm import FakeLLM
from opentelemetry.trace import StatusCode

from tests.instrument_anthropic.helpers import HELLO, MODEL, SdkTelemetry


def assert_failed(telemetry: SdkTelemetry, error_type: str) -> dict[str, Any]:
    span = telemetry.span()
    attrs = dict(span.attributes or {})
    assert span.status.status_code is StatusCode.ERROR
    assert attrs["error.type"] == error_type
    assert span.events[0].name == "exception"
    (duration,) = telemetry.metrics()["gen_ai.client.operation.duration"]
    assert duration.attributes["error.type"] == error_type
    return attrs


@pytest.mark.parametrize(
    ("status", "error", "sdk_type"),
    [(429, anthropic.RateLimitError, "rate_limit_error"), (500, anthropic.InternalServerError, "api_error")],
)
def test_status_error(
    telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM, status: int, error: type, sdk_type: str
) -> None:
    fake.error(status)
    with pytest.raises(error) as raised:
        client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    assert raised.value.status_code == status
    attrs = assert_failed(telemetry, error.__name__)
    assert attrs["http.response.status_code"] == status
    assert attrs["anthropic.error.type"] == sdk_type  # the SDK's own name for it, kept


def test_status_error_async(telemetry: SdkTelemetry, aclient: anthropic.AsyncAnthropic, fake: FakeLLM) -> None:
    fake.error(429)
    with pytest.raises(anthropic.RateLimitError):
        asyncio.run(aclient.messages.create(model=MODEL, max_tokens=64, messages=HELLO))
    assert_failed(telemetry, "RateLimitError")


def test_stream_helper_error(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    fake.error(500)
    with pytest.raises(anthropic.InternalServerError):
        with client.messages.stream(model=MODEL, max_tokens=64, messages=HELLO):
            pass
    assert_failed(telemetry, "InternalServerError")


def test_retried_then_ok(make_telemetry: Callable[..., SdkTelemetry], fake: FakeLLM) -> None:
    telemetry = make_telemetry()
    fake.error(500)
    fake.reply("second time lucky")
    client = anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key="test", max_retries=1)
    client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    span = telemetry.span()
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["http.request.resend_count"] == 1  # type: ignore[index]
    assert "error.type" not in (span.attributes or {})


def test_exception_identity(telemetry: SdkTelemetry, fake: FakeLLM) -> None:
    """The user gets the very exception object raised inside the SDK call."""
    boom = RuntimeError("from a middleware")

    def middleware(request: Any, call_next: Any) -> Any:
        raise boom

    client = anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key="t", max_retries=0, middleware=[middleware])
    with pytest.raises(RuntimeError) as raised:
        client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    assert raised.value is boom
    assert raised.value.__context__ is None and raised.value.__cause__ is None
    assert_failed(telemetry, "RuntimeError")


def test_malformed_json(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    fake.malformed("json")
    with pytest.raises(json.JSONDecodeError):
        client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    assert_failed(telemetry, "JSONDecodeError")


def test_malformed_schema(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    """A body of the wrong shape is no error to the SDK; the span records what there is."""
    fake.malformed("schema")
    client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    assert telemetry.span().status.status_code is StatusCode.UNSET


def test_stream_cut(telemetry: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    fake.malformed("cut")
    stream = client.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True)
    with pytest.raises(Exception) as raised:
        for _ in stream:
            pass
    attrs = assert_failed(telemetry, type(raised.value).__qualname__)
    assert attrs["gen_ai.response.id"] == "msg_fake1"  # the SDK recorded the start of the stream


def test_connection_error(telemetry: SdkTelemetry) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = anthropic.Anthropic(base_url=f"http://127.0.0.1:{port}", api_key="t", max_retries=0)
    with pytest.raises(anthropic.APIConnectionError):
        client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    attrs = assert_failed(telemetry, "APIConnectionError")
    assert attrs["anthropic.error.type"] == "connection_error"
    assert attrs["server.port"] == port


def _error(call: Callable[[], Any]) -> tuple[type, str]:
    try:
        call()
    except Exception as error:  # noqa: BLE001
        return type(error), str(error)
    raise AssertionError("no error")


INVALID: list[dict[str, Any]] = [
    {"model": MODEL, "messages": HELLO},  # max_tokens missing
    {"model": MODEL, "max_tokens": 8, "messages": HELLO, "temperature": 0.1},  # not an argument of this SDK
    {"model": MODEL, "max_tokens": 8, "messages": [{"role": "user", "content": object()}]},
    {"model": MODEL, "max_tokens": 8, "messages": HELLO, "system": object()},
]


@pytest.mark.parametrize("kwargs", INVALID)
def test_invalid_arguments(
    make_telemetry: Callable[..., SdkTelemetry], client: anthropic.Anthropic, kwargs: dict[str, Any]
) -> None:
    plain = _error(lambda: client.messages.create(**kwargs))
    plain_stream = _error(lambda: client.messages.stream(**kwargs).__enter__())
    make_telemetry(AO_CAPTURE_CONTENT="1")
    assert _error(lambda: client.messages.create(**kwargs)) == plain
    assert _error(lambda: client.messages.stream(**kwargs).__enter__()) == plain_stream


@pytest.mark.parametrize("kwargs", INVALID[:2])
def test_invalid_arguments_async(
    make_telemetry: Callable[..., SdkTelemetry], aclient: anthropic.AsyncAnthropic, kwargs: dict[str, Any]
) -> None:
    plain = _error(lambda: aclient.messages.create(**kwargs))  # raised by the call, before any await
    telemetry = make_telemetry()
    assert _error(lambda: aclient.messages.create(**kwargs)) == plain
    assert telemetry.spans() == []


def test_one_shot_messages(content: SdkTelemetry, client: anthropic.Anthropic, fake: FakeLLM) -> None:
    """Messages given as a generator reach the server whole: ao does not read them."""
    client.messages.create(model=MODEL, max_tokens=64, messages=(m for m in HELLO))
    assert fake.requests[-1].body["messages"] == HELLO
    assert "gen_ai.input.messages" not in (content.span().attributes or {})
