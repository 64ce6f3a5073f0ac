"""Span attributes read from request keyword arguments and from response objects, without `model_dump`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry.util.types import AttributeValue

from ao_instrument.genai import semconv as sc

REQUEST_SERVICE_TIER = "openai.request.service_tier"
RESPONSE_SERVICE_TIER = "openai.response.service_tier"
RESPONSE_SYSTEM_FINGERPRINT = "openai.response.system_fingerprint"
EMBEDDINGS_DIMENSION_COUNT = "gen_ai.embeddings.dimension.count"

Attributes = dict[str, AttributeValue]


def _number(attributes: Attributes, key: str, value: Any) -> None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        attributes[key] = value


def _integer(attributes: Attributes, key: str, value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        attributes[key] = value


def _stop(attributes: Attributes, value: Any) -> None:
    if isinstance(value, str):
        attributes[sc.REQUEST_STOP_SEQUENCES] = (value,)
    elif isinstance(value, (list, tuple)):
        attributes[sc.REQUEST_STOP_SEQUENCES] = tuple(s for s in value if isinstance(s, str))


def _choice_count(attributes: Attributes, value: Any) -> None:
    if isinstance(value, int) and value != 1:
        attributes[sc.REQUEST_CHOICE_COUNT] = value


def _service_tier(attributes: Attributes, value: Any) -> None:
    if isinstance(value, str) and value != "auto":
        attributes[REQUEST_SERVICE_TIER] = value


def _stream(attributes: Attributes, value: Any) -> None:
    if value is True:
        attributes[sc.REQUEST_STREAM] = True


def _format_output_type(value: Any) -> str | None:
    """`gen_ai.output.type` of a `response_format` / `text.format`: a dict, or a pydantic class for parse."""
    if isinstance(value, type):
        return "json"
    kind = value.get("type") if isinstance(value, Mapping) else None
    if kind in ("json_schema", "json_object"):
        return "json"
    if kind == "text":
        return "text"
    return None


def _response_format(attributes: Attributes, value: Any) -> None:
    output_type = _format_output_type(value)
    if output_type:
        attributes[sc.OUTPUT_TYPE] = output_type


def _text(attributes: Attributes, value: Any) -> None:
    if isinstance(value, Mapping) and "format" in value:
        _response_format(attributes, value["format"])


def _text_format(attributes: Attributes, value: Any) -> None:
    if isinstance(value, type):
        attributes[sc.OUTPUT_TYPE] = "json"


def _conversation(attributes: Attributes, value: Any) -> None:
    conversation_id = value.get("id") if isinstance(value, Mapping) else value
    if isinstance(conversation_id, str):
        attributes[sc.CONVERSATION_ID] = conversation_id


def _encoding_format(attributes: Attributes, value: Any) -> None:
    if isinstance(value, str):
        attributes[sc.REQUEST_ENCODING_FORMATS] = (value,)


def _setter(key: str, kind: Callable[[Attributes, str, Any], None]) -> Callable[[Attributes, Any], None]:
    return lambda attributes, value: kind(attributes, key, value)


Setters = Mapping[str, Callable[[Attributes, Any], None]]

_SAMPLING: dict[str, Callable[[Attributes, Any], None]] = {
    "temperature": _setter(sc.REQUEST_TEMPERATURE, _number),
    "top_p": _setter(sc.REQUEST_TOP_P, _number),
    "service_tier": _service_tier,
    "stream": _stream,
}

CHAT_PARAMS: Setters = {
    **_SAMPLING,
    "max_tokens": _setter(sc.REQUEST_MAX_TOKENS, _integer),
    "max_completion_tokens": _setter(sc.REQUEST_MAX_TOKENS, _integer),
    "stop": _stop,
    "seed": _setter(sc.REQUEST_SEED, _integer),
    "frequency_penalty": _setter(sc.REQUEST_FREQUENCY_PENALTY, _number),
    "presence_penalty": _setter(sc.REQUEST_PRESENCE_PENALTY, _number),
    "n": _choice_count,
    "response_format": _response_format,
}

RESPONSES_PARAMS: Setters = {
    **_SAMPLING,
    "max_output_tokens": _setter(sc.REQUEST_MAX_TOKENS, _integer),
    "text": _text,
    "text_format": _text_format,
    "conversation": _conversation,
}

EMBEDDINGS_PARAMS: Setters = {
    "encoding_format": _encoding_format,
    "dimensions": _setter(EMBEDDINGS_DIMENSION_COUNT, _integer),
}


def request_attributes(kwargs: Mapping[str, Any], setters: Setters) -> Attributes:
    """The request parameter attributes of one call; unknown and omitted arguments are skipped."""
    attributes: Attributes = {}
    for name, value in kwargs.items():
        setter = setters.get(name)
        if setter is not None and value is not None:
            setter(attributes, value)
    return attributes


def _common_response(response: Any) -> Attributes:
    attributes: Attributes = {}
    response_id = getattr(response, "id", None)
    if response_id:
        attributes[sc.RESPONSE_ID] = response_id
    model = getattr(response, "model", None)
    if model:
        attributes[sc.RESPONSE_MODEL] = model
    service_tier = getattr(response, "service_tier", None)
    if isinstance(service_tier, str):
        attributes[RESPONSE_SERVICE_TIER] = service_tier
    return attributes


def chat_identity(response: Any) -> Attributes:
    """Response id, model, service tier and fingerprint of a `ChatCompletion` or `ChatCompletionChunk`."""
    attributes = _common_response(response)
    fingerprint = getattr(response, "system_fingerprint", None)
    if fingerprint:
        attributes[RESPONSE_SYSTEM_FINGERPRINT] = fingerprint
    return attributes


def chat_response(response: Any) -> tuple[Attributes, int | None, int | None]:
    """Attributes and (input, output) token counts of a `ChatCompletion`."""
    attributes = chat_identity(response)
    choices = getattr(response, "choices", None)
    if choices:
        attributes[sc.RESPONSE_FINISH_REASONS] = tuple(finish_reason(choice.finish_reason) for choice in choices)
    return (attributes, *chat_usage(attributes, getattr(response, "usage", None)))


def chat_usage(attributes: Attributes, usage: Any) -> tuple[int | None, int | None]:
    """Token counts of a chat `CompletionUsage` (also on a stream's last chunk); adds cache reads."""
    if usage is None:
        return None, None
    details = usage.prompt_tokens_details
    if details is not None and details.cached_tokens:
        attributes[sc.USAGE_CACHE_READ_INPUT_TOKENS] = details.cached_tokens
    return usage.prompt_tokens, usage.completion_tokens


# The conventions leave `gen_ai.response.finish_reasons` values open; ao writes, for every provider, the
# `FinishReason` values of the output message schema (stop, length, content_filter, tool_call, error).
_FINISH_REASONS = {"tool_calls": "tool_call", "function_call": "tool_call"}


def finish_reason(reason: str | None) -> str:
    """The semconv finish reason of a chat choice's `finish_reason`."""
    return _FINISH_REASONS.get(reason, reason) if reason else ""


def responses_finish_reason(response: Any) -> str:
    """A semconv finish reason for a Responses API `Response`, which reports a status instead."""
    status = getattr(response, "status", None)
    if status == "incomplete":
        details = getattr(response, "incomplete_details", None)
        reason = getattr(details, "reason", None)
        return "length" if reason == "max_output_tokens" else (reason or "length")
    if status == "failed":
        return "error"
    for item in getattr(response, "output", None) or ():
        if getattr(item, "type", None) == "function_call":
            return "tool_call"
    return "stop"


def responses_response(response: Any) -> tuple[Attributes, int | None, int | None]:
    """Attributes and (input, output) token counts of a Responses API `Response`."""
    attributes = _common_response(response)
    attributes[sc.RESPONSE_FINISH_REASONS] = (responses_finish_reason(response),)
    conversation = getattr(response, "conversation", None)
    if conversation is not None and getattr(conversation, "id", None):
        attributes[sc.CONVERSATION_ID] = conversation.id
    usage = getattr(response, "usage", None)
    if usage is None:
        return attributes, None, None
    details = usage.input_tokens_details
    if details is not None and details.cached_tokens:
        attributes[sc.USAGE_CACHE_READ_INPUT_TOKENS] = details.cached_tokens
    return attributes, usage.input_tokens, usage.output_tokens


def embeddings_response(response: Any) -> tuple[Attributes, int | None, int | None]:
    """Attributes and input token count of a `CreateEmbeddingResponse`."""
    attributes: Attributes = {}
    model = getattr(response, "model", None)
    if model:
        attributes[sc.RESPONSE_MODEL] = model
    usage = getattr(response, "usage", None)
    return attributes, getattr(usage, "prompt_tokens", None), None
