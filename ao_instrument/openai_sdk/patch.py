"""The OpenAI adapter (`genai.provider`): the SDK methods, how their requests and results are read, the
stream-usage request, and the helper streams' patches."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

import openai
from openai._legacy_response import LegacyAPIResponse
from openai._response import APIResponse, AsyncAPIResponse
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseStreamEvent
from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from ao_instrument.genai import provider
from ao_instrument.genai.call_span import LLMCall, LLMCallTelemetry
from ao_instrument.genai.provider import Adapter, Api, Content, Method
from ao_instrument.genai.stream_wrapper import AsyncLabelledStream, ObservedAsyncStream, ObservedStream, StreamRecorder
from ao_instrument.openai_sdk import PROVIDER
from ao_instrument.openai_sdk import attributes as attrs
from ao_instrument.openai_sdk import messages, replay_bodies, streams
from ao_instrument.openai_sdk.results import finish_chat, finish_embeddings, finish_responses

_ABSENT = (openai.Omit, openai.NotGiven)
_REREADABLE = (list, tuple, str, dict, *_ABSENT)


def _given(value: Any) -> bool:
    return value is not None and not isinstance(value, _ABSENT)


# A chat stream whose request did not ask for usage is asked for it (`stream_options.include_usage`), so its
# span has token counts; the usage-only chunk this adds is not handed to the program. `AO_STREAM_USAGE=off`
# sends requests as the program made them (read at `instrument()`). Raw responses are left as they are:
# their body is the user's.
_RAW_HEADER = "X-Stainless-Raw-Response"


def asks_usage(env: Mapping[str, str] = os.environ) -> bool:
    return env.get("AO_STREAM_USAGE", "on").strip().lower() not in ("off", "0", "false", "no")


def _ask_usage(state: State, api: Api, kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """The arguments asking for a chat stream's usage where the request did not (its chunk is then
    hidden from the program), None where ao does not ask."""
    if not state.ask_usage or api is not CHAT or kwargs.get("stream") is not True:
        return None
    options, headers = kwargs.get("stream_options"), kwargs.get("extra_headers")
    if isinstance(headers, Mapping) and _RAW_HEADER in headers:
        return None
    if _given(options):
        if not isinstance(options, Mapping) or "include_usage" in options:
            return None
        return {**kwargs, "stream_options": {**options, "include_usage": True}}
    return {**kwargs, "stream_options": {"include_usage": True}}


def _usage_only(chunk: Any) -> bool:
    """The chunk that `include_usage` adds: usage and no choices."""
    return not chunk.choices and chunk.usage is not None


def _chat_request(kwargs: Mapping[str, Any]) -> attrs.Attributes:
    return attrs.request_attributes(kwargs, attrs.CHAT_PARAMS)


def _responses_request(kwargs: Mapping[str, Any]) -> attrs.Attributes:
    return attrs.request_attributes(kwargs, attrs.RESPONSES_PARAMS)


def _embeddings_request(kwargs: Mapping[str, Any]) -> attrs.Attributes:
    return attrs.request_attributes(kwargs, attrs.EMBEDDINGS_PARAMS)


def _chat_content(kwargs: Mapping[str, Any]) -> Content:
    tools = kwargs.get("tools")
    return (
        messages.chat_input(kwargs.get("messages") or ()),
        None,
        messages.tool_definitions(tools) if _given(tools) else None,
    )


def _responses_content(kwargs: Mapping[str, Any]) -> Content:
    items, instructions, tools = kwargs.get("input"), kwargs.get("instructions"), kwargs.get("tools")
    return (
        messages.responses_input(items) if _given(items) else None,
        messages.instructions(instructions) if _given(instructions) else None,
        messages.tool_definitions(tools) if _given(tools) else None,
    )


def _embeddings_content(kwargs: Mapping[str, Any]) -> Content:
    items = kwargs.get("input")
    return messages.embeddings_input(items) if _given(items) else None, None, None


def _result_recorder(finish: Callable[[LLMCall, Any], None]) -> Callable[[LLMCall], StreamRecorder]:
    return lambda call: streams.ResultRecorder(call, finish)


CHAT = Api("chat", _chat_request, _chat_content, finish_chat, ChatCompletion, _result_recorder(finish_chat),
           replay_bodies.CHAT, streams.ChatRecorder, ChatCompletionChunk, ("messages", "tools"))  # fmt: skip
RESPONSES = Api("chat", _responses_request, _responses_content, finish_responses, Response,
                _result_recorder(finish_responses), replay_bodies.RESPONSES, streams.ResponsesRecorder,
                ResponseStreamEvent, ("input", "tools"))  # fmt: skip
EMBEDDINGS = Api("embeddings", _embeddings_request, _embeddings_content, finish_embeddings, CreateEmbeddingResponse,
                 _result_recorder(finish_embeddings), replay_bodies.EMBEDDINGS, iterables=("input",))  # fmt: skip

_CHAT_MODULE = "openai.resources.chat.completions.completions"
_RESPONSES_MODULE = "openai.resources.responses.responses"
_EMBEDDINGS_MODULE = "openai.resources.embeddings"

# The SDK methods that make one LLM call each.
METHODS: tuple[Method, ...] = (
    Method(_CHAT_MODULE, "Completions", "create", False, CHAT),
    Method(_CHAT_MODULE, "Completions", "parse", False, CHAT),
    Method(_CHAT_MODULE, "AsyncCompletions", "create", True, CHAT),
    Method(_CHAT_MODULE, "AsyncCompletions", "parse", True, CHAT),
    Method(_RESPONSES_MODULE, "Responses", "create", False, RESPONSES),
    Method(_RESPONSES_MODULE, "Responses", "parse", False, RESPONSES),
    Method(_RESPONSES_MODULE, "AsyncResponses", "create", True, RESPONSES),
    Method(_RESPONSES_MODULE, "AsyncResponses", "parse", True, RESPONSES),
    Method(_EMBEDDINGS_MODULE, "Embeddings", "create", False, EMBEDDINGS),
    Method(_EMBEDDINGS_MODULE, "AsyncEmbeddings", "create", True, EMBEDDINGS),
)

# (module, helper stream class, its proxy): the helper streams (`chat.completions.stream`,
# `responses.stream`) read an instrumented `create(stream=True)`. Their manager's `__enter__` hands the
# user the proxy, which labels what they give out; their `close` closes the HTTP response, not the SDK
# stream they read, so it also ends the span.
HELPERS: tuple[tuple[str, str, type], ...] = (
    ("openai.lib.streaming.chat", "ChatCompletionStream", streams.ChatCompletionStream),
    ("openai.lib.streaming.chat", "AsyncChatCompletionStream", streams.AsyncChatCompletionStream),
    ("openai.lib.streaming.responses", "ResponseStream", streams.ResponseStream),
    ("openai.lib.streaming.responses", "AsyncResponseStream", streams.AsyncResponseStream),
)


class State(provider.State):
    """One `instrument()`, and whether it asks chat streams for their usage."""

    __slots__ = ("ask_usage",)

    def __init__(self, telemetry: LLMCallTelemetry, ask_usage: bool = True) -> None:
        super().__init__(telemetry)
        self.ask_usage = ask_usage


_AZURE = (openai.AzureOpenAI, openai.AsyncAzureOpenAI)


def _provider_name(client: Any) -> str:
    return "azure.ai.openai" if isinstance(client, _AZURE) else PROVIDER.name


def _install_helpers() -> None:
    for module, cls, proxy in HELPERS:
        is_async = cls.startswith("Async")
        enter = "__aenter__" if is_async else "__enter__"
        wrap_function_wrapper(module, f"{cls}Manager.{enter}", helper_enter(proxy))
        wrap_function_wrapper(module, f"{cls}.close", async_helper_close if is_async else helper_close)


def _uninstall_helpers() -> None:
    for module, cls, _ in HELPERS:
        unwrap(getattr(import_module(module), cls), "close")
        unwrap(getattr(import_module(module), f"{cls}Manager"), "__aenter__" if cls.startswith("Async") else "__enter__")


def _observed_raw_stream(helper: Any) -> ObservedStream | ObservedAsyncStream | None:
    """The instrumented SDK stream a helper stream reads, if it is one."""
    raw = getattr(helper, "_raw_stream", None)
    return raw if isinstance(raw, (ObservedStream, ObservedAsyncStream)) else None


def helper_enter(proxy: type) -> Callable[..., Any]:
    """Wrapper of a helper stream manager's `__enter__` or `__aenter__`: the user gets `proxy` of the stream."""

    def labelled(helper: Any) -> Any:
        raw = _observed_raw_stream(helper)
        return helper if raw is None else proxy(helper, raw._self_recorder.label)

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return labelled(wrapped(*args, **kwargs))

    async def async_wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        return labelled(await wrapped(*args, **kwargs))

    return async_wrapper if issubclass(proxy, AsyncLabelledStream) else wrapper


def _end_raw_stream(instance: Any) -> None:
    raw = _observed_raw_stream(instance)
    if raw is not None:
        raw._self_end()


def helper_close(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        return wrapped(*args, **kwargs)
    finally:
        _end_raw_stream(instance)


async def async_helper_close(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    try:
        return await wrapped(*args, **kwargs)
    finally:
        _end_raw_stream(instance)


ADAPTER = Adapter(
    PROVIDER,
    METHODS,
    result_types=(openai.BaseModel,),
    stream_types=(openai.Stream, openai.AsyncStream),
    raw_types=(LegacyAPIResponse, APIResponse, AsyncAPIResponse),
    provider_name=_provider_name,
    prepare=_ask_usage,  # type: ignore[arg-type]
    hide=_usage_only,
    rereadable=_REREADABLE,
    state=lambda telemetry: State(telemetry, asks_usage()),
    install=_install_helpers,
    uninstall=_uninstall_helpers,
)
