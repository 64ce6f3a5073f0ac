"""The Anthropic Messages API body of a replayed call (`genai.replay_body`): a `message`, streamed as its events.

Rebuilt from the span: the semconv output message's parts (text, tool use, thinking), the response id and
model, the stop reason and the usage. A thinking block's signature is not recorded, so it is empty.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ao_instrument.anthropic_sdk import messages
from ao_instrument.genai import semconv as sc
from ao_instrument.genai.replay_body import Event, recorded_int, recorded_json, replace_last_user_text

# semconv finish reason -> `stop_reason`, where the SDK's own tracing did not record it
_STOP_REASONS = {reason: stop for stop, reason in reversed(messages.FINISH_REASONS.items())}
_SDK_STOP_REASON = "anthropic.message.stop_reason"


def _input(arguments: Any) -> Any:
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except ValueError:
            return {}
    return arguments if isinstance(arguments, dict) else {}


def _block(part: Mapping[str, Any]) -> dict[str, Any] | None:
    kind = part.get("type")
    if kind == "text":
        return {"type": "text", "text": str(part.get("content") or ""), "citations": None}
    if kind == "tool_call":
        return {"type": "tool_use", "id": part.get("id"), "name": part.get("name"), "input": _input(part.get("arguments"))}
    if kind == "reasoning":
        return {"type": "thinking", "thinking": str(part.get("content") or ""), "signature": ""}
    return None


class MessagesBody:
    """`/v1/messages`."""

    done_marker = False

    def response(self, attributes: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
        recorded = recorded_json(attributes, sc.OUTPUT_MESSAGES)
        message = recorded[0] if isinstance(recorded, list) and recorded and isinstance(recorded[0], dict) else {}
        blocks = [block for block in map(_block, [p for p in message.get("parts") or () if isinstance(p, dict)]) if block]
        reason = str(message.get("finish_reason") or "stop")
        return {
            "id": str(attributes.get(sc.RESPONSE_ID) or "msg_ao_replay"), "type": "message", "role": "assistant",
            "model": str(attributes.get(sc.RESPONSE_MODEL) or request.get("model") or ""), "content": blocks,
            "stop_reason": attributes.get(_SDK_STOP_REASON) or _STOP_REASONS.get(reason, reason),
            "stop_sequence": None,
            "usage": {"input_tokens": recorded_int(attributes, sc.USAGE_INPUT_TOKENS),
                      "output_tokens": recorded_int(attributes, sc.USAGE_OUTPUT_TOKENS)},
        }  # fmt: skip

    def events(self, response: Mapping[str, Any], request: Mapping[str, Any]) -> list[Event]:
        events: list[Event] = []

        def emit(kind: str, **data: Any) -> None:
            events.append((kind, {"type": kind, **data}))

        usage = dict(response.get("usage") or {})
        emit("message_start", message={**response, "content": [], "stop_reason": None,
                                       "usage": {**usage, "output_tokens": 0}})  # fmt: skip
        for index, block in enumerate(response.get("content") or ()):
            kind = block.get("type")
            if kind == "text":
                emit("content_block_start", index=index, content_block={**block, "text": ""})
                emit("content_block_delta", index=index, delta={"type": "text_delta", "text": block.get("text", "")})
            elif kind == "tool_use":
                emit("content_block_start", index=index, content_block={**block, "input": {}})
                emit("content_block_delta", index=index,
                     delta={"type": "input_json_delta", "partial_json": json.dumps(block.get("input") or {})})
            elif kind == "thinking":
                emit("content_block_start", index=index, content_block={**block, "thinking": "", "signature": ""})
                emit("content_block_delta", index=index, delta={"type": "thinking_delta", "thinking": block.get("thinking", "")})
                emit("content_block_delta", index=index, delta={"type": "signature_delta", "signature": block.get("signature", "")})
            else:
                emit("content_block_start", index=index, content_block=block)
            emit("content_block_stop", index=index)
        emit("message_delta", delta={"stop_reason": response.get("stop_reason"), "stop_sequence": response.get("stop_sequence")},
             usage={"output_tokens": usage.get("output_tokens", 0)})
        emit("message_stop")
        return events

    def with_output_text(self, response: dict[str, Any], text: str) -> dict[str, Any]:
        content = [dict(block) for block in response.get("content") or ()]
        for block in content:
            if block.get("type") == "text":
                block["text"] = text
                break
        else:
            content.insert(0, {"type": "text", "text": text, "citations": None})
        return {**response, "content": content}

    def with_input_text(self, request: dict[str, Any], text: str) -> dict[str, Any]:
        return {**request, "messages": replace_last_user_text(list(request.get("messages") or ()), text)}

    def input_messages(self, request: Mapping[str, Any]) -> Any:
        return messages.input_messages(request.get("messages"))


MESSAGES = MessagesBody()
