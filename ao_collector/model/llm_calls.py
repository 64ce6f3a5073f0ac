"""Which spans are LLM calls, and their fields normalised to one row whatever instrumentation made them.

Recognised conventions (attribute names as those instrumentations write them):

- OpenTelemetry GenAI semantic conventions, used by ao itself (`ao.call.key` marks ao's spans), the
  OpenTelemetry GenAI instrumentations, current OpenLLMetry and the Anthropic SDK's own tracing
  (scope `com.anthropic.sdk.python`): `gen_ai.operation.name` (other than agent and tool operations),
  `gen_ai.input.messages` / `gen_ai.output.messages` JSON.
- Older OpenLLMetry: `gen_ai.system` or `llm.request.type`, indexed `gen_ai.prompt.N.*` / `gen_ai.completion.N.*`,
  `llm.request.functions.N.*`, `gen_ai.usage.prompt_tokens` / `completion_tokens`.
- OpenInference: `openinference.span.kind = LLM`, `llm.model_name`, indexed `llm.input_messages.N.message.*` /
  `llm.output_messages.N.message.*`, `llm.tools.N.tool.json_schema`, `llm.token_count.*`.

Messages are normalised to the GenAI JSON shape: `[{"role", "parts": [{"type": "text", "content"}, ...]}]`.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from ao_collector.model.attributes import text_list

ANTHROPIC_SDK_SCOPE = "com.anthropic.sdk.python"
# GenAI operations that are not a call to a model.
NOT_MODEL_CALLS = frozenset({"execute_tool", "invoke_agent", "create_agent"})
_LEGACY_OPERATIONS = {"completion": "text_completion", "chat": "chat", "embedding": "embeddings"}


class CallFields(NamedTuple):
    """The LLM-specific columns of an `ao_llm_calls` row."""

    source: str
    provider: str
    operation: str
    request_model: str
    response_model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_creation_tokens: int
    call_key: str
    cached: bool
    error_type: str
    input_messages: str
    output_messages: str
    system_instructions: str
    tool_definitions: str
    finish_reasons: list[str]
    taint_origins: list[str]


def llm_call(attrs: dict[str, str], scope_name: str) -> CallFields | None:
    """The call fields of a span with text attributes `attrs`, or None when the span is no LLM call."""
    operation = attrs.get("gen_ai.operation.name")
    if operation is not None:
        if operation in NOT_MODEL_CALLS:
            return None
        if "ao.call.key" in attrs:
            source = "ao"
        elif scope_name == ANTHROPIC_SDK_SCOPE:
            source = "anthropic-sdk"
        else:
            source = "genai"
    elif "gen_ai.system" in attrs or "llm.request.type" in attrs:
        source = "openllmetry"
        operation = _LEGACY_OPERATIONS.get(attrs.get("llm.request.type", "chat"), attrs.get("llm.request.type", "chat"))
    elif attrs.get("openinference.span.kind") == "LLM":
        source = "openinference"
        operation = "chat" if "llm.input_messages.0.message.role" in attrs else "text_completion"
    else:
        return None

    get = attrs.get
    input_messages = get("gen_ai.input.messages", "")
    output_messages = get("gen_ai.output.messages", "")
    tool_definitions = get("gen_ai.tool.definitions", "")
    if not input_messages and not output_messages:
        input_messages, output_messages, tool_definitions = _indexed_content(attrs, tool_definitions)

    finish = get("gen_ai.response.finish_reasons")
    if finish is not None:
        finish_reasons = text_list(finish)
    elif "anthropic.message.stop_reason" in attrs:
        finish_reasons = [attrs["anthropic.message.stop_reason"]]
    elif "llm.finish_reason" in attrs:
        finish_reasons = [attrs["llm.finish_reason"]]
    else:
        finish_reasons = _output_finish_reasons(output_messages) if source != "ao" else []

    return CallFields(
        source=source,
        provider=(get("gen_ai.provider.name") or get("gen_ai.system") or get("llm.provider") or get("llm.system") or "").lower(),
        operation=operation,
        request_model=get("gen_ai.request.model") or _invocation_model(attrs) or get("llm.model_name", ""),
        response_model=get("gen_ai.response.model") or get("llm.response.model_name") or get("llm.model_name", ""),
        input_tokens=_int(get("gen_ai.usage.input_tokens") or get("gen_ai.usage.prompt_tokens") or get("llm.token_count.prompt")),
        output_tokens=_int(
            get("gen_ai.usage.output_tokens") or get("gen_ai.usage.completion_tokens") or get("llm.token_count.completion")
        ),
        cache_read_tokens=_int(
            get("gen_ai.usage.cache_read.input_tokens")
            or get("gen_ai.usage.cache_read_input_tokens")
            or get("llm.token_count.prompt_details.cache_read")
        ),
        cache_creation_tokens=_int(
            get("gen_ai.usage.cache_creation.input_tokens")
            or get("gen_ai.usage.cache_write.input_tokens")
            or get("gen_ai.usage.cache_creation_input_tokens")
            or get("llm.token_count.prompt_details.cache_write")
        ),
        call_key=get("ao.call.key", ""),
        cached=get("ao.call.cached") == "true",
        error_type=get("error.type", ""),
        input_messages=input_messages,
        output_messages=output_messages,
        system_instructions=get("gen_ai.system_instructions", ""),
        tool_definitions=tool_definitions,
        finish_reasons=finish_reasons,
        taint_origins=text_list(get("ao.taint.origins", "")),
    )


def _int(text: str | None) -> int:
    if not text:
        return 0
    try:
        return max(int(text), 0)
    except ValueError:
        try:
            return max(int(float(text)), 0)
        except ValueError:
            return 0


def _invocation_model(attrs: dict[str, str]) -> str:
    """The model named in OpenInference's `llm.invocation_parameters` JSON."""
    parameters = attrs.get("llm.invocation_parameters")
    if not parameters:
        return ""
    try:
        model = json.loads(parameters).get("model")
    except (ValueError, AttributeError):
        return ""
    return model if isinstance(model, str) else ""


def _indexed(attrs: dict[str, str], prefix: str) -> list[dict[str, str]]:
    """`prefix.N.rest = value` attributes grouped by N (in index order) as {rest: value}."""
    groups: dict[int, dict[str, str]] = {}
    for key, value in attrs.items():
        if not key.startswith(prefix):
            continue
        index, _, rest = key[len(prefix) :].partition(".")
        if index.isdigit() and rest:
            groups.setdefault(int(index), {})[rest] = value
    return [groups[index] for index in sorted(groups)]


def _indexed_content(attrs: dict[str, str], tool_definitions: str) -> tuple[str, str, str]:
    """Input messages, output messages and tool definitions from indexed attributes (OpenLLMetry, OpenInference)."""
    if "gen_ai.prompt.0.content" in attrs or "gen_ai.prompt.0.role" in attrs or "gen_ai.completion.0.content" in attrs:
        inputs = [_message(fields, "", "tool_calls.", "") for fields in _indexed(attrs, "gen_ai.prompt.")]
        outputs = [_message(fields, "", "tool_calls.", "") for fields in _indexed(attrs, "gen_ai.completion.")]
        if not tool_definitions:
            tools = [_function_tool(fields) for fields in _indexed(attrs, "llm.request.functions.")]
            tool_definitions = _dumps(tools) if tools else ""
    elif "llm.input_messages.0.message.role" in attrs or "llm.output_messages.0.message.role" in attrs:
        inputs = [_message(fields, "message.", "message.tool_calls.", "tool_call.") for fields in _indexed(attrs, "llm.input_messages.")]
        outputs = [_message(fields, "message.", "message.tool_calls.", "tool_call.") for fields in _indexed(attrs, "llm.output_messages.")]
        if not tool_definitions:
            tools = [_schema_tool(fields.get("tool.json_schema", "")) for fields in _indexed(attrs, "llm.tools.")]
            tool_definitions = _dumps(tools) if tools else ""
    else:
        return "", "", tool_definitions
    return (_dumps(inputs) if inputs else ""), (_dumps(outputs) if outputs else ""), tool_definitions


def _message(fields: dict[str, str], base: str, calls: str, call: str) -> dict[str, Any]:
    """One message in GenAI JSON shape from its indexed fields (`base` prefixes message fields,
    `calls` the tool-call list, `call` each tool call's fields)."""
    role = fields.get(base + "role", "user")
    parts: list[dict[str, Any]] = []
    content = fields.get(base + "content")
    tool_call_id = fields.get(base + "tool_call_id")
    if role == "tool" and tool_call_id is not None:
        parts.append({"type": "tool_call_response", "id": tool_call_id, "response": content or ""})
    elif content:
        parts.append({"type": "text", "content": content})
    for item in _indexed(fields, base + "contents."):
        text = item.get("message_content.text")
        if text is not None:
            parts.append({"type": "text", "content": text})
    for item in _indexed(fields, calls):
        arguments = item.get(call + "function.arguments", item.get("arguments", ""))
        parts.append(
            {
                "type": "tool_call",
                "id": item.get(call + "id", item.get("id", "")),
                "name": item.get(call + "function.name", item.get("name", "")),
                "arguments": _json_or_text(arguments),
            }
        )
    message: dict[str, Any] = {"role": role, "parts": parts}
    finish_reason = fields.get("finish_reason")
    if finish_reason:
        message["finish_reason"] = finish_reason
    return message


def _function_tool(fields: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "function",
        "name": fields.get("name", ""),
        "description": fields.get("description", ""),
        "parameters": _json_or_text(fields.get("parameters", "")),
    }


def _schema_tool(schema: str) -> dict[str, Any]:
    """An OpenAI-style tool JSON (OpenInference `tool.json_schema`) in GenAI tool-definition shape."""
    tool = _json_or_text(schema)
    if not isinstance(tool, dict):
        return {"type": "function", "name": "", "parameters": tool}
    function = tool.get("function", tool)
    return {
        "type": tool.get("type", "function"),
        "name": function.get("name", ""),
        "description": function.get("description", ""),
        "parameters": function.get("parameters", {}),
    }


def _output_finish_reasons(output_messages: str) -> list[str]:
    if not output_messages:
        return []
    try:
        messages = json.loads(output_messages)
    except ValueError:
        return []
    if not isinstance(messages, list):
        return []
    return [m["finish_reason"] for m in messages if isinstance(m, dict) and isinstance(m.get("finish_reason"), str) and m["finish_reason"]]


def _json_or_text(text: str) -> Any:
    if text and text[0] in "[{":
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
