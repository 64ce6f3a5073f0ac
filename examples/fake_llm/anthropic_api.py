"""Anthropic-compatible endpoints: messages (whole and streamed) and token counting."""

from __future__ import annotations

import json
from typing import Any

from .endpoint import Endpoint
from .replies import Reply
from .request import MESSAGES_PATH, Request
from .sse import Event, pieces, slices

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def error_body(status: int, message: str) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return {"type": "error", "error": {"type": kind, "message": message}}


def _usage(request: Request, reply: Reply) -> dict[str, Any]:
    input_tokens, output_tokens = reply.token_counts(request)
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "service_tier": "standard",
    }


def _tool_id(request: Request, reply: Reply, index: int) -> str:
    return reply.tool_calls[index].id or f"toolu_fake{request.number}_{index}"


def _message(
    request: Request, content: list[dict[str, Any]], stop_reason: str | None, usage: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": f"msg_fake{request.number}",
        "type": "message",
        "role": "assistant",
        "model": request.model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage,
    }


def _stop_reason(reply: Reply) -> str:
    if reply.truncated:
        return "max_tokens"
    return "refusal" if reply.filtered else "tool_use" if reply.tool_calls else "end_turn"


def message(request: Request, reply: Reply) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text is not None else []
    content += [
        {"type": "tool_use", "id": _tool_id(request, reply, i), "name": call.name, "input": call.arguments}
        for i, call in enumerate(reply.tool_calls)
    ]
    return _message(request, content, _stop_reason(reply), _usage(request, reply))


def message_stream(request: Request, reply: Reply) -> list[Event]:
    usage = _usage(request, reply)
    start_usage = {**usage, "output_tokens": 1}
    payloads: list[dict[str, Any]] = [
        {"type": "message_start", "message": _message(request, [], None, start_usage)},
        {"type": "ping"},
    ]
    blocks: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    if reply.text is not None:
        deltas = [{"type": "text_delta", "text": piece} for piece in pieces(reply.text) if piece]
        blocks.append(({"type": "text", "text": ""}, deltas))
    for i, call in enumerate(reply.tool_calls):
        block = {"type": "tool_use", "id": _tool_id(request, reply, i), "name": call.name, "input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": ""}]
        arguments = json.dumps(call.arguments)
        deltas += [{"type": "input_json_delta", "partial_json": part} for part in slices(arguments)]
        blocks.append((block, deltas))
    for index, (block, deltas) in enumerate(blocks):
        payloads.append({"type": "content_block_start", "index": index, "content_block": block})
        payloads += [{"type": "content_block_delta", "index": index, "delta": delta} for delta in deltas]
        payloads.append({"type": "content_block_stop", "index": index})
    payloads += [
        {
            "type": "message_delta",
            "delta": {"stop_reason": _stop_reason(reply), "stop_sequence": None},
            "usage": {"output_tokens": usage["output_tokens"]},
        },
        {"type": "message_stop"},
    ]
    return [Event(payload, payload["type"]) for payload in payloads]


def count_tokens(request: Request, reply: Reply) -> dict[str, Any]:
    return {"input_tokens": reply.token_counts(request)[0]}


MESSAGES = Endpoint(MESSAGES_PATH, message, error_body, "request-id", message_stream)
COUNT_TOKENS = Endpoint(
    MESSAGES_PATH + "/count_tokens", count_tokens, error_body, "request-id", uses_queue=False
)
