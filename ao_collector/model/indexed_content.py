"""Message content recorded as indexed attributes (older OpenLLMetry, OpenInference) → GenAI message JSON.

- OpenLLMetry: `gen_ai.prompt.N.{role,content,tool_call_id}`, `gen_ai.prompt.N.tool_calls.M.{id,name,arguments}`,
  `gen_ai.completion.N.*` (plus `finish_reason`), tools in `llm.request.functions.N.{name,description,parameters}`.
- OpenInference: `llm.input_messages.N.message.{role,content,tool_call_id}`,
  `...message.contents.M.message_content.text`, `...message.tool_calls.M.tool_call.{id,function.name,function.arguments}`,
  `llm.output_messages.N.message.*`, tools in `llm.tools.N.tool.json_schema`.

The GenAI shape: `[{"role", "parts": [{"type": "text", "content"} | {"type": "tool_call", ...} | ...]}]`.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple


class IndexedContent(NamedTuple):
    """Content of one call in GenAI JSON, and what else the indexed attributes tell."""

    input_messages: str
    output_messages: str
    tool_definitions: str
    finish_reasons: list[str]


def indexed_content(attrs: dict[str, str]) -> IndexedContent:
    """The content of a span with indexed message attributes `attrs` (empty strings when there is none)."""
    inputs, outputs, tools = _indexed_content(attrs)
    finish: list[str] = []
    if outputs:
        finish = [m["finish_reason"] for m in json.loads(outputs) if m.get("finish_reason")]
    return IndexedContent(inputs, outputs, tools, finish)


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


def _indexed_content(attrs: dict[str, str]) -> tuple[str, str, str]:
    """Input messages, output messages and tool definitions from indexed attributes (OpenLLMetry, OpenInference)."""
    if "gen_ai.prompt.0.content" in attrs or "gen_ai.prompt.0.role" in attrs or "gen_ai.completion.0.content" in attrs:
        inputs = [_message(fields, "", "tool_calls.", "") for fields in _indexed(attrs, "gen_ai.prompt.")]
        outputs = [_message(fields, "", "tool_calls.", "") for fields in _indexed(attrs, "gen_ai.completion.")]
        tools = [_function_tool(fields) for fields in _indexed(attrs, "llm.request.functions.")]
    elif "llm.input_messages.0.message.role" in attrs or "llm.output_messages.0.message.role" in attrs:
        inputs = [_message(f, "message.", "message.tool_calls.", "tool_call.") for f in _indexed(attrs, "llm.input_messages.")]
        outputs = [_message(f, "message.", "message.tool_calls.", "tool_call.") for f in _indexed(attrs, "llm.output_messages.")]
        tools = [_schema_tool(fields.get("tool.json_schema", "")) for fields in _indexed(attrs, "llm.tools.")]
    else:
        return "", "", ""
    return (_dumps(inputs) if inputs else ""), (_dumps(outputs) if outputs else ""), (_dumps(tools) if tools else "")


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


def _json_or_text(text: str) -> Any:
    if text and text[0] in "[{":
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
