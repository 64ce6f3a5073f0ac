"""OpenAI requests and responses as GenAI semconv content: input/output messages, instructions, tools.

Request items may be plain dicts (`...Param` typed dicts) or SDK models (e.g. a previous response's
message appended to the history), so request values are read through `_get`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

Part = dict[str, Any]
Message = dict[str, Any]

# OpenAI finish reasons -> semconv FinishReason values.
_FINISH_REASONS = {"tool_calls": "tool_call", "function_call": "tool_call"}
_MODALITIES = ("image", "audio", "video")


def _get(item: Any, key: str) -> Any:
    if isinstance(item, dict):
        return item.get(key)
    return getattr(item, key, None)


def finish_reason(reason: str | None) -> str:
    return _FINISH_REASONS.get(reason, reason) if reason else ""


def arguments(raw: Any) -> Any:
    """Tool call arguments: the decoded JSON object when the text is valid JSON, else the text."""
    if isinstance(raw, str) and raw[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def tool_call_part(call_id: Any, name: Any, raw_arguments: Any) -> Part:
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": arguments(raw_arguments)}


def text_part(text: str) -> Part:
    return {"type": "text", "content": text}


def _modality(mime_type: str | None, default: str) -> str:
    prefix = mime_type.split("/", 1)[0] if mime_type else ""
    return prefix if prefix in _MODALITIES else default


def _media_part(url: Any, modality: str) -> Part:
    """A `blob` part for a `data:` URL, else a `uri` part."""
    if isinstance(url, str) and url.startswith("data:"):
        header, _, payload = url[5:].partition(",")
        mime_type = header.split(";", 1)[0] or None
        return {"type": "blob", "modality": _modality(mime_type, modality), "mime_type": mime_type, "content": payload}
    return {"type": "uri", "modality": modality, "uri": url}


def _file_part(file_id: Any, file_data: Any, file_url: Any, filename: Any) -> Part:
    if file_id:
        return {"type": "file", "modality": "document", "file_id": file_id}
    if isinstance(file_data, str):
        part = _media_part(file_data if file_data.startswith("data:") else f"data:;base64,{file_data}", "document")
    else:
        part = _media_part(file_url, "document")
    if filename:
        part["name"] = filename
    return part


def _content_part(part: Any) -> Part:
    """One content part of a chat or Responses API message."""
    kind = _get(part, "type")
    if kind in ("text", "input_text", "output_text"):
        return text_part(_get(part, "text"))
    if kind == "image_url":
        return _media_part(_get(_get(part, "image_url"), "url"), "image")
    if kind == "input_image":
        file_id = _get(part, "file_id")
        if file_id:
            return {"type": "file", "modality": "image", "file_id": file_id}
        return _media_part(_get(part, "image_url"), "image")
    if kind == "input_audio":
        audio = _get(part, "input_audio") or part
        audio_format = _get(audio, "format")
        mime_type = f"audio/{audio_format}" if audio_format else None
        return {"type": "blob", "modality": "audio", "mime_type": mime_type, "content": _get(audio, "data")}
    if kind == "file":
        file = _get(part, "file")
        return _file_part(_get(file, "file_id"), _get(file, "file_data"), None, _get(file, "filename"))
    if kind == "input_file":
        return _file_part(_get(part, "file_id"), _get(part, "file_data"), _get(part, "file_url"), _get(part, "filename"))
    if kind == "refusal":
        return {"type": "refusal", "content": _get(part, "refusal")}
    return {"type": kind}


def _content_parts(content: Any) -> list[Part]:
    if isinstance(content, str):
        return [text_part(content)]
    if content is None:
        return []
    return [_content_part(part) for part in content]


def _response_text(content: Any) -> Any:
    """A tool result: its text, or its parts when it has more than text."""
    if isinstance(content, str) or content is None:
        return content
    parts = _content_parts(content)
    if all(part["type"] == "text" for part in parts):
        return "".join(part["content"] for part in parts)
    return parts


# -- chat completions ---------------------------------------------------------------------------------


def chat_input(messages: Iterable[Any]) -> list[Message]:
    """`gen_ai.input.messages` of a chat request; system and developer messages stay in the history."""
    converted: list[Message] = []
    for message in messages:
        role = _get(message, "role")
        if role == "tool":
            parts = [{"type": "tool_call_response", "id": _get(message, "tool_call_id"),
                      "response": _response_text(_get(message, "content"))}]  # fmt: skip
        elif role == "function":
            parts = [{"type": "tool_call_response", "id": None, "name": _get(message, "name"),
                      "response": _response_text(_get(message, "content"))}]  # fmt: skip
            role = "tool"
        else:
            parts = _content_parts(_get(message, "content"))
            if role == "assistant":
                refusal = _get(message, "refusal")
                if refusal:
                    parts.append({"type": "refusal", "content": refusal})
                for call in _get(message, "tool_calls") or ():
                    parts.append(_chat_tool_call(call))
                function_call = _get(message, "function_call")
                if function_call:
                    parts.append(tool_call_part(None, _get(function_call, "name"), _get(function_call, "arguments")))
        converted.append({"role": role, "parts": parts})
    return converted


def _chat_tool_call(call: Any) -> Part:
    function = _get(call, "function")
    if function is not None:
        return tool_call_part(_get(call, "id"), _get(function, "name"), _get(function, "arguments"))
    custom = _get(call, "custom")
    return tool_call_part(_get(call, "id"), _get(custom, "name"), _get(custom, "input"))


def chat_output(choices: Iterable[Any]) -> list[Message]:
    """`gen_ai.output.messages` of a `ChatCompletion`: one message per choice."""
    converted: list[Message] = []
    for choice in choices:
        message = choice.message
        parts: list[Part] = []
        if message.content:
            parts.append(text_part(message.content))
        if message.refusal:
            parts.append({"type": "refusal", "content": message.refusal})
        for call in message.tool_calls or ():
            parts.append(_chat_tool_call(call))
        if message.function_call is not None:
            parts.append(tool_call_part(None, message.function_call.name, message.function_call.arguments))
        converted.append({"role": message.role or "assistant", "parts": parts,
                          "finish_reason": finish_reason(choice.finish_reason)})  # fmt: skip
    return converted


def tool_definitions(tools: Iterable[Any]) -> list[dict[str, Any]]:
    """`gen_ai.tool.definitions` of chat (`{"type", "function": {...}}`) or Responses API (flat) tools."""
    definitions: list[dict[str, Any]] = []
    for tool in tools:
        kind = _get(tool, "type") or "function"
        spec = _get(tool, kind)
        if not isinstance(spec, dict):
            spec = tool
        definition = {"type": kind, "name": _get(spec, "name") or kind}
        description = _get(spec, "description")
        if description:
            definition["description"] = description
        parameters = _get(spec, "parameters")
        if parameters is not None:
            definition["parameters"] = parameters
        definitions.append(definition)
    return definitions


# -- responses ----------------------------------------------------------------------------------------


def responses_input(items: Any) -> list[Message]:
    """`gen_ai.input.messages` of a Responses API `input`: a string or a list of input items."""
    if isinstance(items, str):
        return [{"role": "user", "parts": [text_part(items)]}]
    converted: list[Message] = []
    for item in items:
        kind = _get(item, "type")
        role = _get(item, "role")
        if role is not None and kind in (None, "message"):
            converted.append({"role": role, "parts": _content_parts(_get(item, "content"))})
        elif kind in ("function_call_output", "custom_tool_call_output"):
            converted.append({"role": "tool", "parts": [{"type": "tool_call_response", "id": _get(item, "call_id"),
                                                          "response": _response_text(_get(item, "output"))}]})  # fmt: skip
        else:
            part = _output_item_part(item, kind)
            if part is None:
                continue
            if converted and converted[-1]["role"] == "assistant":
                converted[-1]["parts"].append(part)
            else:
                converted.append({"role": "assistant", "parts": [part]})
    return converted


def _output_item_part(item: Any, kind: Any) -> Part | None:
    """The part of a non-message Responses API item (tool call, reasoning, built-in tool call)."""
    if kind == "function_call":
        return tool_call_part(_get(item, "call_id"), _get(item, "name"), _get(item, "arguments"))
    if kind == "custom_tool_call":
        return tool_call_part(_get(item, "call_id"), _get(item, "name"), _get(item, "input"))
    if kind == "reasoning":
        texts = [_get(piece, "text") for piece in (_get(item, "summary") or ())]
        texts += [_get(piece, "text") for piece in (_get(item, "content") or ())]
        return {"type": "reasoning", "content": "\n".join(t for t in texts if t)} if texts else None
    if kind == "item_reference" or kind is None:
        return None
    return {"type": "server_tool_call", "id": _get(item, "id"), "name": kind}


def responses_output(output: Iterable[Any], reason: str) -> list[Message]:
    """`gen_ai.output.messages` of a `Response`: its output items as one assistant message."""
    parts: list[Part] = []
    for item in output:
        kind = item.type
        if kind == "message":
            parts.extend(_content_part(part) for part in item.content)
        else:
            part = _output_item_part(item, kind)
            if part is not None:
                parts.append(part)
    return [{"role": "assistant", "parts": parts, "finish_reason": reason}]


def instructions(value: Any) -> list[Part] | None:
    """`gen_ai.system_instructions` of the Responses API `instructions` (a string or input items)."""
    if isinstance(value, str):
        return [text_part(value)] if value else None
    if isinstance(value, list):
        return [part for message in responses_input(value) for part in message["parts"]]
    return None


# -- embeddings ---------------------------------------------------------------------------------------


def embeddings_input(value: Any) -> list[Message]:
    """The texts to embed as one user message (token-array inputs are not content)."""
    texts = [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]
    return [{"role": "user", "parts": [text_part(text) for text in texts]}] if texts else []
