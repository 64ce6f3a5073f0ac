"""OpenAI-compatible endpoints: chat completions, responses and embeddings."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import struct
from typing import Any

from .endpoint import BASE_TIME, Endpoint
from .replies import FailedReply, Reply
from .request import CHAT_PATH, EMBEDDINGS_PATH, RESPONSES_PATH, Request
from .sse import DONE, Event, pieces, slices


def error_body(status: int, message: str) -> dict[str, Any]:
    if status == 429:
        kind, code = "requests", "rate_limit_exceeded"
    elif status >= 500:
        kind, code = "server_error", None
    else:
        kind, code = "invalid_request_error", None
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _finish_reason(reply: Reply) -> str:
    if reply.truncated:
        return "length"
    return "content_filter" if reply.filtered else "tool_calls" if reply.tool_calls else "stop"


def _call_id(reply: Reply, request: Request, index: int) -> str:
    return reply.tool_calls[index].id or f"call_fake{request.number}_{index}"


# --- chat completions -------------------------------------------------------------------------


def _chat_usage(request: Request, reply: Reply) -> dict[str, Any]:
    prompt, completion = reply.token_counts(request)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _chat_head(request: Request, kind: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake{request.number}",
        "object": kind,
        "created": BASE_TIME + request.number,
        "model": request.model,
        "service_tier": "default",
        "system_fingerprint": "fp_fake",
    }


def chat_completion(request: Request, reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None, "annotations": []}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": _call_id(reply, request, i),
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for i, call in enumerate(reply.tool_calls)
        ]
    choice = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": _finish_reason(reply),
    }
    usage = _chat_usage(request, reply)
    return {**_chat_head(request, "chat.completion"), "choices": [choice], "usage": usage}


def chat_stream(request: Request, reply: Reply) -> list[Event]:
    include_usage = bool((request.body.get("stream_options") or {}).get("include_usage"))
    head = _chat_head(request, "chat.completion.chunk")

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> Event:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return Event({**head, "choices": [choice], **({"usage": None} if include_usage else {})})

    first = {"role": "assistant", "content": "" if reply.text is not None else None, "refusal": None}
    events = [chunk(first)]
    if reply.text:
        events += [chunk({"content": piece}) for piece in pieces(reply.text)]
    for i, call in enumerate(reply.tool_calls):
        start = {"index": i, "id": _call_id(reply, request, i), "type": "function"}
        events.append(chunk({"tool_calls": [{**start, "function": {"name": call.name, "arguments": ""}}]}))
        events += [
            chunk({"tool_calls": [{"index": i, "function": {"arguments": part}}]})
            for part in slices(json.dumps(call.arguments))
        ]
    events.append(chunk({}, _finish_reason(reply)))
    if include_usage:
        events.append(Event({**head, "choices": [], "usage": _chat_usage(request, reply)}))
    return [*events, Event(DONE)]


# --- responses --------------------------------------------------------------------------------


def _responses_usage(request: Request, reply: Reply) -> dict[str, Any]:
    prompt, completion = reply.token_counts(request)
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + completion,
    }


def _response_object(
    request: Request,
    status: str,
    output: list[dict[str, Any]],
    usage: dict[str, Any] | None,
    incomplete: str | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body = request.body
    return {
        "id": f"resp_fake{request.number}",
        "object": "response",
        "created_at": BASE_TIME + request.number,
        "status": status,
        "background": False,
        "error": error,
        "incomplete_details": {"reason": incomplete} if incomplete else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "metadata": body.get("metadata") or {},
        "model": request.model,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": usage,
        "user": None,
    }


def _output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _message_item(request: Request, text: str, status: str) -> dict[str, Any]:
    return {
        "id": f"msg_fake{request.number}",
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": [_output_text(text)] if status == "completed" else [],
    }


def _function_item(request: Request, reply: Reply, index: int, status: str) -> dict[str, Any]:
    call = reply.tool_calls[index]
    return {
        "id": f"fc_fake{request.number}_{index}",
        "type": "function_call",
        "status": status,
        "call_id": _call_id(reply, request, index),
        "name": call.name,
        "arguments": json.dumps(call.arguments) if status == "completed" else "",
    }


def _response_output(request: Request, reply: Reply) -> list[dict[str, Any]]:
    output = [_message_item(request, reply.text, "completed")] if reply.text is not None else []
    return output + [_function_item(request, reply, i, "completed") for i in range(len(reply.tool_calls))]


def response(request: Request, reply: Reply) -> dict[str, Any]:
    output = _response_output(request, reply)
    incomplete = "max_output_tokens" if reply.truncated else "content_filter" if reply.filtered else None
    status = "incomplete" if incomplete else "completed"
    return _response_object(request, status, output, _responses_usage(request, reply), incomplete)


def failed_response(request: Request, failure: FailedReply) -> dict[str, Any]:
    message = failure.message or f"The model failed to answer (fake {failure.code})."
    return _response_object(request, "failed", [], None, error={"code": failure.code, "message": message})


def failed_response_stream(request: Request, failure: FailedReply) -> list[Event]:
    created = _response_object(request, "in_progress", [], None)
    payloads: list[dict[str, Any]] = [
        {"type": "response.created", "response": created},
        {"type": "response.in_progress", "response": created},
        {"type": "response.failed", "response": failed_response(request, failure)},
    ]
    return [Event({**payload, "sequence_number": i}, payload["type"]) for i, payload in enumerate(payloads)]


def response_stream(request: Request, reply: Reply) -> list[Event]:
    created = _response_object(request, "in_progress", [], None)
    payloads: list[dict[str, Any]] = [
        {"type": "response.created", "response": created},
        {"type": "response.in_progress", "response": created},
    ]
    index = 0
    if reply.text is not None:
        at = {"item_id": f"msg_fake{request.number}", "output_index": index, "content_index": 0}
        payloads.append(_item_event("added", index, _message_item(request, reply.text, "in_progress")))
        payloads.append({"type": "response.content_part.added", **at, "part": _output_text("")})
        for piece in pieces(reply.text):
            payloads.append({"type": "response.output_text.delta", **at, "delta": piece, "logprobs": []})
        payloads.append({"type": "response.output_text.done", **at, "text": reply.text, "logprobs": []})
        payloads.append({"type": "response.content_part.done", **at, "part": _output_text(reply.text)})
        payloads.append(_item_event("done", index, _message_item(request, reply.text, "completed")))
        index += 1
    for i, call in enumerate(reply.tool_calls):
        arguments = json.dumps(call.arguments)
        at = {"item_id": f"fc_fake{request.number}_{i}", "output_index": index}
        payloads.append(_item_event("added", index, _function_item(request, reply, i, "in_progress")))
        for part in slices(arguments):
            payloads.append({"type": "response.function_call_arguments.delta", **at, "delta": part})
        done = {"type": "response.function_call_arguments.done", **at, "arguments": arguments}
        payloads.append({**done, "name": call.name})
        payloads.append(_item_event("done", index, _function_item(request, reply, i, "completed")))
        index += 1
    final = response(request, reply)
    payloads.append({"type": f"response.{final['status']}", "response": final})
    return [Event({**payload, "sequence_number": i}, payload["type"]) for i, payload in enumerate(payloads)]


def _item_event(stage: str, index: int, item: dict[str, Any]) -> dict[str, Any]:
    return {"type": f"response.output_item.{stage}", "output_index": index, "item": item}


# --- embeddings -------------------------------------------------------------------------------


def embedding_vector(text: str, dims: int) -> list[float]:
    """A unit vector of `dims` float32 values derived from the SHA-256 of `text`
    (float32 so that "float" and "base64" encodings carry the same numbers)."""
    blocks = range(math.ceil(dims / 32))
    raw = b"".join(hashlib.sha256(f"{block}:{text}".encode()).digest() for block in blocks)
    values = [byte / 127.5 - 1.0 for byte in raw[:dims]]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return list(struct.unpack(f"<{dims}f", _float32s([v / norm for v in values])))


def _float32s(values: list[float]) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


def embeddings_endpoint(default_dims: int) -> Endpoint:
    def render(request: Request, reply: Reply) -> dict[str, Any]:
        inputs = request.body.get("input")
        if isinstance(inputs, str) or (isinstance(inputs, list) and inputs and isinstance(inputs[0], int)):
            inputs = [inputs]
        texts = [item if isinstance(item, str) else json.dumps(item) for item in inputs or []]
        dims = int(request.body.get("dimensions") or default_dims)
        as_base64 = request.body.get("encoding_format") == "base64"
        data = []
        for i, text in enumerate(texts):
            vector = embedding_vector(text, dims)
            encoded: Any = base64.b64encode(_float32s(vector)).decode() if as_base64 else vector
            data.append({"object": "embedding", "index": i, "embedding": encoded})
        tokens = sum(max(1, len(text) // 4) for text in texts)
        return {
            "object": "list",
            "data": data,
            "model": request.model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }

    return Endpoint(EMBEDDINGS_PATH, render, error_body, "x-request-id", uses_queue=False)


CHAT = Endpoint(CHAT_PATH, chat_completion, error_body, "x-request-id", chat_stream)
RESPONSES = Endpoint(RESPONSES_PATH, response, error_body, "x-request-id", response_stream,
                     render_failed=failed_response, render_failed_stream=failed_response_stream)  # fmt: skip
