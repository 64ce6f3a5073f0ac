"""OpenAI requests and responses as GenAI semconv content: input/output messages, instructions, tools.

The semconv JSON is written directly as text (strings through the C string encoder), which costs a
fraction of building dicts and encoding them. Request items may be plain dicts (`...Param` typed
dicts) or SDK models (e.g. a previous response's message appended to the history), so request
values are read through `_get`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import partial
from json.encoder import encode_basestring
from typing import Any

from ao_instrument.genai.capture import JsonText
from ao_instrument.openai_sdk.attributes import finish_reason

_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, separators=(",", ":"), check_circular=False)
_MODALITIES = ("image", "audio", "video")
_TEXT_ROLES = frozenset({"system", "developer", "user"})  # roles whose string content is all there is


def _json(value: Any) -> str:
    """The JSON text of one value."""
    return encode_basestring(value) if type(value) is str else _ENCODER.encode(value)


def _get(item: Any, key: str) -> Any:
    if isinstance(item, dict):
        return item.get(key)
    return getattr(item, key, None)


def json_list(items: list[str]) -> JsonText | None:
    """A JSON array of already written items; `None` when empty."""
    return JsonText(f"[{','.join(items)}]") if items else None


def message(role: Any, parts: list[str], finish_reason: str | None = None) -> str:
    """A semconv chat message; output messages carry a finish reason."""
    if finish_reason is None:
        return f'{{"role":{_json(role)},"parts":[{",".join(parts)}]}}'
    return f'{{"role":{_json(role)},"parts":[{",".join(parts)}],"finish_reason":{_json(finish_reason)}}}'


def text_part(text: Any) -> str:
    return f'{{"type":"text","content":{_json(text)}}}'


def typed_part(kind: str, content: Any) -> str:
    return f'{{"type":{_json(kind)},"content":{_json(content)}}}'


def _arguments(raw: Any) -> str:
    """Tool call arguments: kept as the JSON object they encode when valid, else as text."""
    if isinstance(raw, str) and raw[:1] in ("{", "["):
        try:
            json.loads(raw)
        except ValueError:
            return _json(raw)
        return raw
    return _json(raw)


def tool_call_part(call_id: Any, name: Any, raw_arguments: Any) -> str:
    return f'{{"type":"tool_call","id":{_json(call_id)},"name":{_json(name)},"arguments":{_arguments(raw_arguments)}}}'


def _tool_response_part(call_id: Any, response: Any) -> str:
    return f'{{"type":"tool_call_response","id":{_json(call_id)},"response":{_response(response)}}}'


def _modality(mime_type: str | None, default: str) -> str:
    prefix = mime_type.split("/", 1)[0] if mime_type else ""
    return prefix if prefix in _MODALITIES else default


def _blob_part(modality: str, mime_type: Any, content: Any, name: Any = None) -> str:
    named = f',"name":{_json(name)}' if name else ""
    return (f'{{"type":"blob","modality":{_json(modality)},"mime_type":{_json(mime_type)},'
            f'"content":{_json(content)}{named}}}')  # fmt: skip


def _media_part(url: Any, modality: str, name: Any = None) -> str:
    """A `blob` part for a `data:` URL, else a `uri` part."""
    if isinstance(url, str) and url.startswith("data:"):
        header, _, payload = url[5:].partition(",")
        mime_type = header.split(";", 1)[0] or None
        return _blob_part(_modality(mime_type, modality), mime_type, payload, name)
    named = f',"name":{_json(name)}' if name else ""
    return f'{{"type":"uri","modality":{_json(modality)},"uri":{_json(url)}{named}}}'


def _file_part(file_id: Any, file_data: Any, file_url: Any, filename: Any, modality: str = "document") -> str:
    if file_id:
        return f'{{"type":"file","modality":{_json(modality)},"file_id":{_json(file_id)}}}'
    if isinstance(file_data, str):
        return _media_part(file_data if file_data.startswith("data:") else f"data:;base64,{file_data}",
                           modality, filename)  # fmt: skip
    return _media_part(file_url, modality, filename)


def _content_part(part: Any) -> str:
    """One content part of a chat or Responses API message."""
    kind = _get(part, "type")
    if kind in ("text", "input_text", "output_text"):
        return text_part(_get(part, "text"))
    if kind == "image_url":
        return _media_part(_get(_get(part, "image_url"), "url"), "image")
    if kind == "input_image":
        return _file_part(_get(part, "file_id"), None, _get(part, "image_url"), None, "image")
    if kind == "input_audio":
        audio = _get(part, "input_audio") or part
        audio_format = _get(audio, "format")
        return _blob_part("audio", f"audio/{audio_format}" if audio_format else None, _get(audio, "data"))
    if kind == "file":
        file = _get(part, "file")
        return _file_part(_get(file, "file_id"), _get(file, "file_data"), None, _get(file, "filename"))
    if kind == "input_file":
        return _file_part(_get(part, "file_id"), _get(part, "file_data"), _get(part, "file_url"),
                          _get(part, "filename"))  # fmt: skip
    if kind == "refusal":
        return typed_part("refusal", _get(part, "refusal"))
    return f'{{"type":{_json(kind)}}}'


def _content_parts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [text_part(content)]
    if content is None:
        return []
    return [_content_part(part) for part in content]


def _response(content: Any) -> str:
    """A tool result: its text, or its parts when it has more than text."""
    if isinstance(content, str) or content is None:
        return _json(content)
    texts = [_get(part, "text") for part in content if _get(part, "type") in ("text", "input_text")]
    if len(texts) == len(content):
        return _json("".join(texts))
    return f"[{','.join(_content_part(part) for part in content)}]"


# -- chat completions ---------------------------------------------------------------------------------


def chat_input(messages: Iterable[Any]) -> JsonText | None:
    """`gen_ai.input.messages` of a chat request; system and developer messages stay in the history."""
    written: list[str] = []
    for item in messages:
        get = item.get if type(item) is dict else partial(_get, item)
        role, content = get("role"), get("content")
        text_only = type(content) is str and type(role) is str and (
            role in _TEXT_ROLES
            or (role == "assistant" and not (get("tool_calls") or get("refusal") or get("function_call")))
        )
        if text_only:  # the common case, written inline
            written.append(f'{{"role":{encode_basestring(role)},"parts":[{{"type":"text","content":'
                           f'{encode_basestring(content)}}}]}}')  # fmt: skip
            continue
        if role == "tool":
            parts = [_tool_response_part(get("tool_call_id"), content)]
        elif role == "function":
            role, parts = "tool", [_tool_response_part(None, content)]
        else:
            parts = _content_parts(content)
            if role == "assistant":
                refusal = get("refusal")
                if refusal:
                    parts.append(typed_part("refusal", refusal))
                for call in get("tool_calls") or ():
                    parts.append(_chat_tool_call(call))
                function_call = get("function_call")
                if function_call:
                    parts.append(tool_call_part(None, _get(function_call, "name"), _get(function_call, "arguments")))
        written.append(message(role, parts))
    return json_list(written)


def _chat_tool_call(call: Any) -> str:
    function = _get(call, "function")
    if function is not None:
        return tool_call_part(_get(call, "id"), _get(function, "name"), _get(function, "arguments"))
    custom = _get(call, "custom")
    return tool_call_part(_get(call, "id"), _get(custom, "name"), _get(custom, "input"))


def chat_output(choices: Iterable[Any]) -> JsonText | None:
    """`gen_ai.output.messages` of a `ChatCompletion`: one message per choice."""
    written: list[str] = []
    for choice in choices:
        reply = choice.message
        parts: list[str] = []
        if reply.content:
            parts.append(text_part(reply.content))
        if reply.refusal:
            parts.append(typed_part("refusal", reply.refusal))
        for call in reply.tool_calls or ():
            parts.append(_chat_tool_call(call))
        if reply.function_call is not None:
            parts.append(tool_call_part(None, reply.function_call.name, reply.function_call.arguments))
        written.append(message(reply.role or "assistant", parts, finish_reason(choice.finish_reason)))
    return json_list(written)


def tool_definitions(tools: Iterable[Any]) -> JsonText | None:
    """`gen_ai.tool.definitions` of chat (`{"type", "function": {...}}`) or Responses API (flat) tools."""
    written: list[str] = []
    for tool in tools:
        kind = _get(tool, "type") or "function"
        spec = _get(tool, kind)
        if not isinstance(spec, dict):
            spec = tool
        description, parameters = _get(spec, "description"), _get(spec, "parameters")
        written.append(
            f'{{"type":{_json(kind)},"name":{_json(_get(spec, "name") or kind)}'
            + (f',"description":{_json(description)}' if description else "")
            + (f',"parameters":{_json(parameters)}' if parameters is not None else "")
            + "}"
        )
    return json_list(written)


# -- responses ----------------------------------------------------------------------------------------


def _responses_messages(items: Any) -> list[tuple[Any, list[str]]]:
    """(role, parts) of Responses API input items; tool calls join the assistant turn before them."""
    if isinstance(items, str):
        return [("user", [text_part(items)])]
    converted: list[tuple[Any, list[str]]] = []
    for item in items:
        kind = _get(item, "type")
        role = _get(item, "role")
        if role is not None and kind in (None, "message"):
            converted.append((role, _content_parts(_get(item, "content"))))
        elif kind in ("function_call_output", "custom_tool_call_output"):
            converted.append(("tool", [_tool_response_part(_get(item, "call_id"), _get(item, "output"))]))
        else:
            part = output_item_part(item, kind)
            if part is None:
                continue
            if converted and converted[-1][0] == "assistant":
                converted[-1][1].append(part)
            else:
                converted.append(("assistant", [part]))
    return converted


def responses_input(items: Any) -> JsonText | None:
    """`gen_ai.input.messages` of a Responses API `input`: a string or a list of input items."""
    return json_list([message(role, parts) for role, parts in _responses_messages(items)])


def output_item_part(item: Any, kind: Any) -> str | None:
    """The part of a non-message Responses API item (tool call, reasoning, built-in tool call)."""
    if kind == "function_call":
        return tool_call_part(_get(item, "call_id"), _get(item, "name"), _get(item, "arguments"))
    if kind == "custom_tool_call":
        return tool_call_part(_get(item, "call_id"), _get(item, "name"), _get(item, "input"))
    if kind == "reasoning":
        pieces = [*(_get(item, "summary") or ()), *(_get(item, "content") or ())]
        texts = [text for text in (_get(piece, "text") for piece in pieces) if text]
        return typed_part("reasoning", "\n".join(texts)) if texts else None
    if kind == "item_reference" or kind is None:
        return None
    return f'{{"type":"server_tool_call","id":{_json(_get(item, "id"))},"name":{_json(kind)}}}'


def output_parts(output: Iterable[Any]) -> list[str]:
    """The parts of a `Response`'s output items."""
    parts: list[str] = []
    for item in output:
        kind = item.type
        if kind == "message":
            parts.extend(_content_part(part) for part in item.content)
        else:
            part = output_item_part(item, kind)
            if part is not None:
                parts.append(part)
    return parts


def responses_output(output: Iterable[Any], reason: str) -> JsonText:
    """`gen_ai.output.messages` of a `Response`: its output items as one assistant message."""
    return JsonText(f"[{message('assistant', output_parts(output), reason)}]")


def instructions(value: Any) -> JsonText | None:
    """`gen_ai.system_instructions` of the Responses API `instructions` (a string or input items)."""
    if isinstance(value, str):
        return json_list([text_part(value)] if value else [])
    if isinstance(value, list):
        return json_list([part for _, parts in _responses_messages(value) for part in parts])
    return None


# -- embeddings ---------------------------------------------------------------------------------------


def embeddings_input(value: Any) -> JsonText | None:
    """The texts to embed as one user message (token-array inputs are not content)."""
    texts = [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]
    return json_list([message("user", [text_part(text) for text in texts])]) if texts else None
