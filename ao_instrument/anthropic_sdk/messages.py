"""Anthropic Messages requests and responses as GenAI semconv attributes and JSON message shapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from opentelemetry.util.types import AttributeValue

from ao_instrument.genai import semconv as sc

# Anthropic `stop_reason` -> semconv `FinishReason` (as for every provider, see openai_sdk.attributes); others kept.
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_call",
    "refusal": "content_filter",
}

_REQUEST_PARAMS = (
    ("max_tokens", sc.REQUEST_MAX_TOKENS, int),
    ("temperature", sc.REQUEST_TEMPERATURE, float),
    ("top_p", sc.REQUEST_TOP_P, float),
    ("top_k", sc.REQUEST_TOP_K, int),
)
_TOOL_CALLS = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})
_MEDIA = frozenset({"image", "document"})


class Result(NamedTuple):
    """What `LLMCall.finish` takes."""

    attributes: dict[str, AttributeValue]
    output_messages: list[dict[str, Any]] | None
    input_tokens: int | None
    output_tokens: int | None


def get(value: Any, key: str) -> Any:
    """`value[key]` of a dict, `value.key` of a model, else None."""
    if type(value) is dict or isinstance(value, Mapping):
        return value.get(key)
    return getattr(value, key, None)


def request_attributes(kwargs: Mapping[str, Any]) -> dict[str, AttributeValue]:
    """`gen_ai.request.*` parameters of a `messages.create` request.

    Sampling parameters the SDK has no argument for are read from `extra_body`.
    """
    extra = kwargs.get("extra_body")
    extra = extra if isinstance(extra, Mapping) else {}
    attrs: dict[str, AttributeValue] = {}
    for param, key, kind in _REQUEST_PARAMS:
        value = kwargs.get(param, extra.get(param))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            attrs[key] = kind(value)
    stops = kwargs.get("stop_sequences")
    if isinstance(stops, (list, tuple)) and all(isinstance(s, str) for s in stops):
        attrs[sc.REQUEST_STOP_SEQUENCES] = list(stops)
    return attrs


def input_messages(messages: Any) -> list[dict[str, Any]] | None:
    """`gen_ai.input.messages` of the `messages` param; None for what cannot be read twice."""
    if not isinstance(messages, (list, tuple)):
        return None
    return [{"role": get(m, "role"), "parts": parts(get(m, "content"))} for m in messages]


def system_instructions(system: Any) -> list[dict[str, Any]] | None:
    """`gen_ai.system_instructions` of the `system` param."""
    if isinstance(system, (str, list, tuple)):
        return parts(system) or None
    return None


def tool_definitions(tools: Any) -> list[dict[str, Any]] | None:
    """`gen_ai.tool.definitions` of the `tools` param: custom tools as functions, server tools by type."""
    if not isinstance(tools, (list, tuple)):
        return None
    out = []
    for tool in tools:
        schema = get(tool, "input_schema")
        definition: dict[str, Any] = {
            "type": "function" if schema is not None else get(tool, "type") or "custom",
            "name": get(tool, "name"),
        }
        if (description := get(tool, "description")) is not None:
            definition["description"] = description
        if schema is not None:
            definition["parameters"] = jsonable(schema)
        out.append(definition)
    return out


def parts(content: Any) -> list[dict[str, Any]]:
    """Message parts of Anthropic content: a string or a list of blocks (dicts or SDK models)."""
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    if isinstance(content, (list, tuple)):
        return [block_part(block) for block in content]
    return []


def block_part(block: Any) -> dict[str, Any]:
    kind = get(block, "type")
    if kind == "text":
        return {"type": "text", "content": get(block, "text")}
    if kind in _TOOL_CALLS:
        return {"type": "tool_call", "id": get(block, "id"), "name": get(block, "name"),
                "arguments": jsonable(get(block, "input"))}  # fmt: skip
    if kind == "tool_result":
        content = get(block, "content")
        part = {"type": "tool_call_response", "id": get(block, "tool_use_id"),
                "response": content if isinstance(content, str) else parts(content)}  # fmt: skip
        if get(block, "is_error"):
            part["is_error"] = True
        return part
    if isinstance(kind, str) and kind.endswith("_tool_result"):
        return {"type": "tool_call_response", "id": get(block, "tool_use_id"),
                "response": jsonable(get(block, "content"))}  # fmt: skip
    if kind == "thinking":
        return {"type": "reasoning", "content": get(block, "thinking")}
    if kind in _MEDIA:
        return media_part(kind, get(block, "source"))
    return {"type": kind if isinstance(kind, str) else "unknown"}


def media_part(kind: str, source: Any) -> dict[str, Any]:
    """An image or document block as a blob, uri, file or text part."""
    modality = "image" if kind == "image" else "document"
    source_type = get(source, "type")
    if source_type == "base64":
        return {"type": "blob", "modality": modality, "mime_type": get(source, "media_type"),
                "content": get(source, "data")}  # fmt: skip
    if source_type == "url":
        return {"type": "uri", "modality": modality, "uri": get(source, "url")}
    if source_type == "file":
        return {"type": "file", "modality": modality, "file_id": get(source, "file_id")}
    if source_type == "text":
        return {"type": "text", "content": get(source, "data")}
    return {"type": kind}


def jsonable(value: Any) -> Any:
    """Plain JSON data of `value`: SDK models dumped, containers copied."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_none=True)
    return str(value)


def finish_reason(stop_reason: Any) -> str | None:
    if not isinstance(stop_reason, str):
        return None
    return FINISH_REASONS.get(stop_reason, stop_reason)


def result(
    response_id: Any,
    model: Any,
    stop_reason: Any,
    tokens: tuple[int | None, int | None, int | None, int | None],
    content: Any,
    capture: bool,
) -> Result:
    """The finish arguments of a response; `tokens` is (input, cache read, cache creation, output)."""
    attrs: dict[str, AttributeValue] = {}
    if isinstance(response_id, str):
        attrs[sc.RESPONSE_ID] = response_id
    if isinstance(model, str):
        attrs[sc.RESPONSE_MODEL] = model
    reason = finish_reason(stop_reason)
    if reason:
        attrs[sc.RESPONSE_FINISH_REASONS] = [reason]
    fresh, cache_read, cache_creation, output = tokens
    if cache_read is not None:
        attrs[sc.USAGE_CACHE_READ_INPUT_TOKENS] = cache_read
    if cache_creation is not None:
        attrs[sc.USAGE_CACHE_CREATION_INPUT_TOKENS] = cache_creation
    # Anthropic counts cached tokens apart; the conventions count them in the input.
    total = None if fresh is None else fresh + (cache_read or 0) + (cache_creation or 0)
    messages = None
    if capture and content is not None:
        messages = [{"role": "assistant", "parts": parts(content), "finish_reason": reason or ""}]
    return Result(attrs, messages, total, output)


def usage_tokens(usage: Any) -> tuple[int | None, int | None, int | None, int | None]:
    return (
        _int(getattr(usage, "input_tokens", None)),
        _int(getattr(usage, "cache_read_input_tokens", None)),
        _int(getattr(usage, "cache_creation_input_tokens", None)),
        _int(getattr(usage, "output_tokens", None)),
    )


def message_result(message: Any, capture: bool) -> Result:
    """The finish arguments of a `Message` (or `ParsedMessage`)."""
    return result(
        getattr(message, "id", None),
        getattr(message, "model", None),
        getattr(message, "stop_reason", None),
        usage_tokens(getattr(message, "usage", None)),
        getattr(message, "content", None),
        capture,
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
