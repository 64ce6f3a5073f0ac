"""Wrappers of `Messages.create`/`parse` and `Messages.stream`, sync and async."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import cache, partial
from typing import Any

from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from wrapt import ObjectProxy

from ao_instrument.anthropic_sdk import messages
from ao_instrument.anthropic_sdk.call import TracedCall, start
from ao_instrument.anthropic_sdk.streams import MessageRecorder, Recorder, trace_message_stream, traced_stream
from ao_instrument.genai import LLMCallTelemetry
from ao_instrument.genai.fail_open import report_internal_error
from ao_instrument.genai.raw_response import observed_raw_response

Wrapper = Callable[[Any, Any, tuple[Any, ...], dict[str, Any]], Any]


def _start(telemetry: LLMCallTelemetry, instance: Any, kwargs: Mapping[str, Any], stream: bool) -> TracedCall | None:
    try:
        return start(telemetry, instance, kwargs, stream)
    except Exception:
        report_internal_error("anthropic: starting a call span")
        return None


@cache
def _raw_response_types() -> tuple[type, ...]:
    """The classes of `with_raw_response` results (`LegacyAPIResponse` before anthropic 1.0)."""
    from anthropic._response import BaseAPIResponse

    try:
        from anthropic._legacy_response import LegacyAPIResponse
    except ImportError:
        return (BaseAPIResponse,)
    return (BaseAPIResponse, LegacyAPIResponse)


def _returned(call: TracedCall, response: Any, streamed: bool) -> Any:
    """What the user gets: a traced stream or raw response, or the labelled response once the span has ended."""
    from anthropic import AsyncStream, Stream
    from anthropic.types import Message

    try:
        if isinstance(response, (Stream, AsyncStream)):
            return traced_stream(response, call, isinstance(response, AsyncStream))
        if isinstance(response, _raw_response_types()):
            return _observed_raw(call, response, streamed)
    except Exception:
        report_internal_error("anthropic: tracing a stream or raw response")
    if isinstance(response, Message):
        call.finish_message(response)
    else:  # a stream or raw response ao could not wrap
        call.finish(messages.Result({}, None, None, None))
    return call.label(response)


def _observed_raw(call: TracedCall, response: Any, streamed: bool) -> Any:
    """A raw response (`with_raw_response`, `with_streaming_response`): the span ends with its body."""
    from anthropic.types import Message, RawMessageStreamEvent

    recorder = Recorder(call, label=True) if streamed else MessageRecorder(call)
    item_type = RawMessageStreamEvent if streamed else Message
    return observed_raw_response(response, recorder, streamed, partial(_construct, item_type))


_SKIPPED_EVENTS = frozenset({"ping", "error"})


def _construct(item_type: Any, value: Any) -> Any:
    """The SDK object of one decoded body or event, built as the SDK builds it without validation."""
    from anthropic._models import construct_type

    if not isinstance(value, dict) or value.get("type") in _SKIPPED_EVENTS:
        return None
    return construct_type(type_=item_type, value=value)


def create(telemetry: LLMCallTelemetry) -> Wrapper:
    """Wrapper of the sync `Messages.create` and `Messages.parse`."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not is_instrumentation_enabled():
            return wrapped(*args, **kwargs)
        call = _start(telemetry, instance, kwargs, kwargs.get("stream") is True)
        if call is None:
            return wrapped(*args, **kwargs)
        with call:
            response = wrapped(*args, **kwargs)
        return _returned(call, response, kwargs.get("stream") is True)

    return wrapper


def async_create(telemetry: LLMCallTelemetry) -> Wrapper:
    """Wrapper of the async `AsyncMessages.create` and `AsyncMessages.parse`.

    Calls the method at once, so invalid arguments raise where they do without ao, and traces the
    returned coroutine when it is awaited.
    """

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not is_instrumentation_enabled():
            return wrapped(*args, **kwargs)
        return _traced(telemetry, instance, kwargs, wrapped(*args, **kwargs))

    return wrapper


async def _traced(telemetry: LLMCallTelemetry, instance: Any, kwargs: dict[str, Any], request: Awaitable[Any]) -> Any:
    call = _start(telemetry, instance, kwargs, kwargs.get("stream") is True)
    if call is None:
        return await request
    with call:
        response = await request
    return _returned(call, response, kwargs.get("stream") is True)


def stream(telemetry: LLMCallTelemetry, is_async: bool) -> Wrapper:
    """Wrapper of `Messages.stream` or `AsyncMessages.stream`: the span starts when the manager is entered."""
    proxy = AsyncTracedStreamManager if is_async else TracedStreamManager

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        manager = wrapped(*args, **kwargs)
        if not is_instrumentation_enabled():
            return manager
        return proxy(manager, telemetry, instance, kwargs)

    return wrapper


class TracedStreamManager(ObjectProxy):  # type: ignore[misc]
    """A `MessageStreamManager` whose request is traced."""

    def __init__(self, manager: Any, telemetry: LLMCallTelemetry, instance: Any, kwargs: dict[str, Any]) -> None:
        super().__init__(manager)
        self._self_request = (telemetry, instance, kwargs)

    def __enter__(self) -> Any:
        call = _start(*self._self_request, True)
        if call is None:
            return self.__wrapped__.__enter__()
        with call:
            message_stream = self.__wrapped__.__enter__()
        return _traced_message_stream(message_stream, call, False)

    def __exit__(self, *exc_info: Any) -> Any:
        return self.__wrapped__.__exit__(*exc_info)


class AsyncTracedStreamManager(ObjectProxy):  # type: ignore[misc]
    """An `AsyncMessageStreamManager` whose request is traced."""

    def __init__(self, manager: Any, telemetry: LLMCallTelemetry, instance: Any, kwargs: dict[str, Any]) -> None:
        super().__init__(manager)
        self._self_request = (telemetry, instance, kwargs)

    async def __aenter__(self) -> Any:
        call = _start(*self._self_request, True)
        if call is None:
            return await self.__wrapped__.__aenter__()
        with call:
            message_stream = await self.__wrapped__.__aenter__()
        return _traced_message_stream(message_stream, call, True)

    async def __aexit__(self, *exc_info: Any) -> Any:
        return await self.__wrapped__.__aexit__(*exc_info)


def _traced_message_stream(message_stream: Any, call: TracedCall, is_async: bool) -> Any:
    try:
        return trace_message_stream(message_stream, call, is_async)
    except Exception:
        report_internal_error("anthropic: tracing a message stream")
        call.finish(messages.Result({}, None, None, None))
        return message_stream
