"""The Anthropic adapter (`genai.provider`): `Messages.create`/`parse` and `Messages.stream`, sync and async.

Sync `create`/`parse` use the shared wrapper; the async ones call the method at once (so invalid
arguments raise where they do without ao) and trace the coroutine it returns when it is awaited;
`stream` traces the request when its manager is entered. Every call is a `TracedCall`, which holds what
the SDK's own tracing merges into ao's span (`sdk_tracing`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import replace
from typing import Any

from anthropic import AsyncStream, Stream
from anthropic.resources.messages import messages as _module
from anthropic.types import Message, RawMessageStreamEvent
from opentelemetry.util.types import AttributeValue
from wrapt import ObjectProxy

from ao_instrument.anthropic_sdk import PROVIDER, messages, replay_bodies, sdk_tracing
from ao_instrument.anthropic_sdk.call import TracedCall
from ao_instrument.anthropic_sdk.streams import MessageRecorder, Recorder, trace_message_stream
from ao_instrument.genai import provider
from ao_instrument.genai.call_span import LLMCallTelemetry
from ao_instrument.genai import semconv as sc
from ao_instrument.genai.fail_open import report_internal_error
from ao_instrument.genai.provider import Adapter, Api, Content, Method, State, Wrapper


def _request(kwargs: Mapping[str, Any]) -> dict[str, AttributeValue]:
    attributes = messages.request_attributes(kwargs)
    if kwargs.get("stream") is True:
        attributes[sc.REQUEST_STREAM] = True
    return attributes


def _stream_request(kwargs: Mapping[str, Any]) -> dict[str, AttributeValue]:
    attributes = messages.request_attributes(kwargs)
    attributes[sc.REQUEST_STREAM] = True
    return attributes


def _content(kwargs: Mapping[str, Any]) -> Content:
    return (
        messages.input_messages(kwargs.get("messages")) or None,
        messages.system_instructions(kwargs.get("system")) or None,
        messages.tool_definitions(kwargs.get("tools")) or None,
    )


def _recorder(call: TracedCall) -> Recorder:
    return Recorder(call, label=True)


MESSAGES = Api("chat", _request, _content, TracedCall.finish_message, Message, MessageRecorder,
               replay_bodies.MESSAGES, _recorder, RawMessageStreamEvent)  # fmt: skip
MESSAGE_STREAM = replace(MESSAGES, request=_stream_request)  # `messages.stream(...)`: streamed without `stream=True`

_MODULE = _module.__name__
METHODS: tuple[Method, ...] = (
    Method(_MODULE, "Messages", "create", False, MESSAGES),
    Method(_MODULE, "Messages", "parse", False, MESSAGES),
    Method(_MODULE, "Messages", "stream", False, MESSAGE_STREAM),
    Method(_MODULE, "AsyncMessages", "create", True, MESSAGES),
    Method(_MODULE, "AsyncMessages", "parse", True, MESSAGES),
    Method(_MODULE, "AsyncMessages", "stream", True, MESSAGE_STREAM),
)


def _raw_response_types() -> tuple[type, ...]:
    """The classes of `with_raw_response` results (`LegacyAPIResponse` before anthropic 1.0)."""
    from anthropic._response import BaseAPIResponse

    try:
        from anthropic._legacy_response import LegacyAPIResponse
    except ImportError:
        return (BaseAPIResponse,)
    return (BaseAPIResponse, LegacyAPIResponse)


def _provider_name(client: Any) -> str:
    """Bedrock and Vertex clients name their own provider."""
    name = getattr(client, "_gen_ai_provider_name", PROVIDER.name)
    return name if isinstance(name, str) else PROVIDER.name


def _wrapper(state: State, adapter: Adapter, method: Method) -> Wrapper:
    if method.api is MESSAGE_STREAM:
        return stream(state, method.api, method.is_async)
    if method.is_async:
        return async_create(state, method.api)
    return provider.sync_wrapper(state, adapter, method.api)


def _around(call: TracedCall, api: Api) -> TracedCall:
    return call  # `with call:` makes it current for the SDK's tracing, and serves it in a replay


def async_create(state: State, api: Api) -> Wrapper:
    """Wrapper of the async `AsyncMessages.create` and `AsyncMessages.parse`.

    Calls the method at once, so invalid arguments raise where they do without ao, and traces the
    returned coroutine when it is awaited.
    """

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if state.passes_through():
            return wrapped(*args, **kwargs)
        return _traced(state.telemetry, api, instance, kwargs, wrapped(*args, **kwargs))

    return wrapper


async def _traced(
    telemetry: LLMCallTelemetry, api: Api, instance: Any, kwargs: dict[str, Any], request: Awaitable[Any]
) -> Any:
    call = provider.start(telemetry, ADAPTER, api, instance, kwargs)
    if call is None:
        return await request
    with call:
        response = await request
    return provider.observe(call, ADAPTER, api, response, kwargs.get("stream") is True)


def stream(state: State, api: Api, is_async: bool) -> Wrapper:
    """Wrapper of `Messages.stream` or `AsyncMessages.stream`: the span starts when the manager is entered."""
    proxy = AsyncTracedStreamManager if is_async else TracedStreamManager

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        manager = wrapped(*args, **kwargs)
        if state.passes_through():
            return manager
        return proxy(manager, state.telemetry, api, instance, kwargs)

    return wrapper


class TracedStreamManager(ObjectProxy):  # type: ignore[misc]
    """A `MessageStreamManager` whose request is traced."""

    def __init__(self, manager: Any, telemetry: LLMCallTelemetry, api: Api, instance: Any, kwargs: dict[str, Any]) -> None:
        super().__init__(manager)
        self._self_request = (telemetry, ADAPTER, api, instance, kwargs)

    def __enter__(self) -> Any:
        call = provider.start(*self._self_request)
        if call is None:
            return self.__wrapped__.__enter__()
        with call:
            message_stream = self.__wrapped__.__enter__()
        return _traced_message_stream(message_stream, call, False)

    def __exit__(self, *exc_info: Any) -> Any:
        return self.__wrapped__.__exit__(*exc_info)


class AsyncTracedStreamManager(ObjectProxy):  # type: ignore[misc]
    """An `AsyncMessageStreamManager` whose request is traced."""

    def __init__(self, manager: Any, telemetry: LLMCallTelemetry, api: Api, instance: Any, kwargs: dict[str, Any]) -> None:
        super().__init__(manager)
        self._self_request = (telemetry, ADAPTER, api, instance, kwargs)

    async def __aenter__(self) -> Any:
        call = provider.start(*self._self_request)
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
        call.finish({})
        return message_stream


ADAPTER = Adapter(
    PROVIDER,
    METHODS,
    result_types=(Message,),
    stream_types=(Stream, AsyncStream),
    raw_types=_raw_response_types(),
    wrapper=_wrapper,
    provider_name=_provider_name,
    call=TracedCall,
    around=_around,  # type: ignore[arg-type]
    install=sdk_tracing.install,
    uninstall=sdk_tracing.uninstall,
)
