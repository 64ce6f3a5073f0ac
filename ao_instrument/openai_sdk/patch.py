"""The wrappers around the OpenAI SDK methods: one LLM call span per user call."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import openai
from openai._legacy_response import LegacyAPIResponse
from openai._models import construct_type
from openai._response import APIResponse, AsyncAPIResponse
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseStreamEvent
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from ao_instrument.genai import JsonText, LLMCall, LLMCallTelemetry
from ao_instrument.genai import semconv as sc
from ao_instrument.genai.fail_open import report_internal_error
from ao_instrument.genai.raw_response import observed_raw_response
from ao_instrument.genai.stream_wrapper import AsyncLabelledStream, ObservedAsyncStream, ObservedStream, StreamRecorder
from ao_instrument.genai.replay_body import ReplayBody
from ao_instrument.openai_sdk import attributes as attrs
from ao_instrument.openai_sdk import messages, replay_bodies, streams
from ao_instrument.replay.serving import serving
from ao_instrument.openai_sdk.results import finish_chat, finish_embeddings, finish_responses

PROVIDER = "openai"
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


Content = tuple[JsonText | None, JsonText | None, JsonText | None]  # messages, instructions, tools


@dataclass(frozen=True)
class Api:
    """How to observe one SDK method: its operation, parameters, content and result."""

    operation: str
    params: attrs.Setters
    iterables: tuple[str, ...]
    content: Callable[[Mapping[str, Any]], Content]
    finish: Callable[[LLMCall, Any], None]
    result_type: type
    replay: ReplayBody
    recorder: Callable[[LLMCall], StreamRecorder] | None = None
    chunk_type: Any = None  # of a stream's items


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


CHAT = Api("chat", attrs.CHAT_PARAMS, ("messages", "tools"), _chat_content, finish_chat, ChatCompletion,
           replay_bodies.CHAT, streams.ChatRecorder, ChatCompletionChunk)  # fmt: skip
RESPONSES = Api("chat", attrs.RESPONSES_PARAMS, ("input", "tools"), _responses_content, finish_responses, Response,
                replay_bodies.RESPONSES, streams.ResponsesRecorder, ResponseStreamEvent)  # fmt: skip
EMBEDDINGS = Api("embeddings", attrs.EMBEDDINGS_PARAMS, ("input",), _embeddings_content, finish_embeddings,
                 CreateEmbeddingResponse, replay_bodies.EMBEDDINGS)  # fmt: skip
_CONTENT_KEYS = (sc.INPUT_MESSAGES, sc.SYSTEM_INSTRUCTIONS, sc.TOOL_DEFINITIONS)

_CHAT_MODULE = "openai.resources.chat.completions.completions"
_RESPONSES_MODULE = "openai.resources.responses.responses"
_EMBEDDINGS_MODULE = "openai.resources.embeddings"

# (module, class, method, api): the SDK methods that make one LLM call each.
CALLS: tuple[tuple[str, str, str, Api], ...] = (
    (_CHAT_MODULE, "Completions", "create", CHAT),
    (_CHAT_MODULE, "Completions", "parse", CHAT),
    (_CHAT_MODULE, "AsyncCompletions", "create", CHAT),
    (_CHAT_MODULE, "AsyncCompletions", "parse", CHAT),
    (_RESPONSES_MODULE, "Responses", "create", RESPONSES),
    (_RESPONSES_MODULE, "Responses", "parse", RESPONSES),
    (_RESPONSES_MODULE, "AsyncResponses", "create", RESPONSES),
    (_RESPONSES_MODULE, "AsyncResponses", "parse", RESPONSES),
    (_EMBEDDINGS_MODULE, "Embeddings", "create", EMBEDDINGS),
    (_EMBEDDINGS_MODULE, "AsyncEmbeddings", "create", EMBEDDINGS),
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
_RAW = (LegacyAPIResponse, APIResponse, AsyncAPIResponse)


class State:
    """One `instrument()`: wrappers kept by the SDK past `uninstrument()` (in `with_raw_response`
    objects) pass through once `active` is false."""

    __slots__ = ("telemetry", "active", "ask_usage")

    def __init__(self, telemetry: LLMCallTelemetry, ask_usage: bool = True) -> None:
        self.telemetry = telemetry
        self.active = True
        self.ask_usage = ask_usage


# id(base_url) -> (base_url, provider, server.address, server.port); the URL is kept so its id is not reused.
_clients: dict[int, tuple[Any, str, str | None, int | None]] = {}
_AZURE = (openai.AzureOpenAI, openai.AsyncAzureOpenAI)


def _client(instance: Any) -> tuple[str, str | None, int | None]:
    """Provider name, server address and port of a resource's client, read once per base URL."""
    client = instance._client
    url = client.base_url
    entry = _clients.get(id(url))
    if entry is None or entry[0] is not url:
        if len(_clients) >= 64:
            _clients.clear()
        provider = "azure.ai.openai" if isinstance(client, _AZURE) else PROVIDER
        port = url.port or {"https": 443, "http": 80}.get(url.scheme)
        entry = _clients[id(url)] = (url, provider, url.host or None, port)
    return entry[1], entry[2], entry[3]


def _start(telemetry: LLMCallTelemetry, api: Api, instance: Any, kwargs: MutableMapping[str, Any]) -> LLMCall | None:
    """Start the call's span before the request goes out; `None` when ao fails (the call runs unobserved).

    Request content goes in with the start attributes (one attribute update less than `set_input`).
    """
    try:
        for name in api.iterables:
            value = kwargs.get(name)
            if value is not None and not isinstance(value, _REREADABLE):
                kwargs[name] = list(value)  # a one-shot iterable is read by ao and by the SDK
        model = kwargs.get("model")
        provider, address, port = _client(instance)
        attributes = attrs.request_attributes(kwargs, api.params)
    except Exception:
        report_internal_error("starting an OpenAI call span")
        return None
    policy = telemetry.policy
    if policy.enabled:
        try:
            for key, content in zip(_CONTENT_KEYS, api.content(kwargs)):
                if content is not None:
                    attributes[key] = policy.dumps(content)
        except Exception:
            report_internal_error("recording OpenAI request content")
    try:
        return LLMCall(
            telemetry,
            provider=provider,
            operation=api.operation,
            model=model if isinstance(model, str) else None,
            request=kwargs,
            attributes=attributes,
            server_address=address,
            server_port=port,
        )
    except Exception:
        report_internal_error("starting an OpenAI call span")
        return None


def _fail(call: LLMCall, error: BaseException) -> None:
    try:
        call.fail(error)
    except Exception:
        report_internal_error("failing an OpenAI call span")


def _observe(call: LLMCall, api: Api, result: Any, streamed: bool, hide_usage: bool = False) -> Any:
    """End the span from `result` (or hand a stream or raw response to its proxy); returns what the user gets."""
    try:
        if isinstance(result, openai.BaseModel):
            api.finish(call, result)
            return call.label(result)
        if api.recorder is not None:
            hide = _usage_only if hide_usage else None
            if isinstance(result, openai.Stream):
                return ObservedStream(result, api.recorder(call), hide)
            if isinstance(result, openai.AsyncStream):
                return ObservedAsyncStream(result, api.recorder(call), hide)
        if isinstance(result, _RAW):
            return _observed_raw(call, api, result, streamed)
        call.finish({})
        return result
    except Exception:
        report_internal_error("observing an OpenAI result")
        if not call.ended:
            call.finish({})
        return result


def _observed_raw(call: LLMCall, api: Api, result: Any, streamed: bool) -> Any:
    """A raw response (`with_raw_response`, `with_streaming_response`): the span ends with its body."""
    if streamed and api.recorder is not None:
        recorder: StreamRecorder = api.recorder(call)
        item_type = api.chunk_type
    else:
        recorder = streams.ResultRecorder(call, api.finish)
        item_type = api.result_type
    return observed_raw_response(result, recorder, streamed, partial(_construct, item_type))


def _construct(item_type: Any, value: Any) -> Any:
    """The SDK object of one decoded body or event, built as the SDK builds it without validation."""
    return construct_type(type_=item_type, value=value) if isinstance(value, dict) else None


def sync_wrapper(state: State, api: Api) -> Callable[..., Any]:
    telemetry = state.telemetry

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not state.active or not is_instrumentation_enabled():
            return wrapped(*args, **kwargs)
        asked = _ask_usage(state, api, kwargs)
        request = kwargs if asked is None else asked
        call = _start(telemetry, api, instance, request)
        if call is None:
            return wrapped(*args, **kwargs)
        try:
            with serving(call, api.replay):
                result = wrapped(*args, **request)
        except BaseException as error:
            _fail(call, error)
            raise
        return _observe(call, api, result, request.get("stream") is True, asked is not None)

    return wrapper


def async_wrapper(state: State, api: Api) -> Callable[..., Any]:
    telemetry = state.telemetry

    async def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not state.active or not is_instrumentation_enabled():
            return await wrapped(*args, **kwargs)
        asked = _ask_usage(state, api, kwargs)
        request = kwargs if asked is None else asked
        call = _start(telemetry, api, instance, request)
        if call is None:
            return await wrapped(*args, **kwargs)
        try:
            with serving(call, api.replay):
                result = await wrapped(*args, **request)
        except BaseException as error:
            _fail(call, error)
            raise
        return _observe(call, api, result, request.get("stream") is True, asked is not None)

    return wrapper


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
