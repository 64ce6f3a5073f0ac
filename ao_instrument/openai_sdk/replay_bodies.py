"""The OpenAI API bodies of a replayed call (`genai.replay_body`): chat completions, Responses, embeddings.

A recorded call is rebuilt from its span: the semconv output messages, the response id and model, and the
usage. What the span does not hold (log probabilities, annotations, a reasoning item's encrypted content)
is not in the rebuilt body either.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from array import array
from collections.abc import Mapping
from typing import Any

from ao_instrument.genai import semconv as sc
from ao_instrument.genai.replay_body import Event, recorded_int, recorded_json, replace_last_user_text
from ao_instrument.openai_sdk import messages

# semconv finish reason -> the chat API's
_CHAT_REASONS = {"tool_call": "tool_calls", "": "stop"}


def _parts(attributes: Mapping[str, Any]) -> list[tuple[list[dict[str, Any]], str]]:
    """(parts, finish reason) of each recorded output message."""
    recorded = recorded_json(attributes, sc.OUTPUT_MESSAGES)
    found = []
    for message in recorded if isinstance(recorded, list) else ():
        if isinstance(message, dict):
            parts = [p for p in message.get("parts") or () if isinstance(p, dict)]
            found.append((parts, str(message.get("finish_reason") or "")))
    return found


def _arguments(value: Any) -> str:
    """Tool call arguments as the API sends them: JSON text."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _texts(parts: list[dict[str, Any]], kind: str) -> str | None:
    texts = [str(p.get("content") or "") for p in parts if p.get("type") == kind]
    return "".join(texts) if texts else None


def _common(attributes: Mapping[str, Any], request: Mapping[str, Any], default_id: str) -> tuple[str, str]:
    return str(attributes.get(sc.RESPONSE_ID) or default_id), str(attributes.get(sc.RESPONSE_MODEL) or request.get("model") or "")


class ChatBody:
    """`/chat/completions`: a `chat.completion`, streamed as `chat.completion.chunk`s."""

    done_marker = True

    def response(self, attributes: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
        response_id, model = _common(attributes, request, "chatcmpl-ao-replay")
        choices = []
        for index, (parts, reason) in enumerate(_parts(attributes)):
            message: dict[str, Any] = {"role": "assistant", "content": _texts(parts, "text"),
                                       "refusal": _texts(parts, "refusal")}  # fmt: skip
            calls = [{"id": p.get("id"), "type": "function",
                      "function": {"name": p.get("name"), "arguments": _arguments(p.get("arguments"))}}
                     for p in parts if p.get("type") == "tool_call"]  # fmt: skip
            if calls:
                message["tool_calls"] = calls
            choices.append({"index": index, "message": message, "logprobs": None,
                            "finish_reason": _CHAT_REASONS.get(reason, reason)})  # fmt: skip
        prompt, completion = recorded_int(attributes, sc.USAGE_INPUT_TOKENS), recorded_int(attributes, sc.USAGE_OUTPUT_TOKENS)
        return {
            "id": response_id, "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": choices,
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        }  # fmt: skip

    def events(self, response: Mapping[str, Any], request: Mapping[str, Any]) -> list[Event]:
        head = {"id": response.get("id"), "object": "chat.completion.chunk", "created": response.get("created"),
                "model": response.get("model")}  # fmt: skip
        events: list[Event] = []
        for choice in response.get("choices") or ():
            index, message = choice.get("index", 0), choice.get("message") or {}
            delta: dict[str, Any] = {"role": "assistant", "content": message.get("content") or ""}
            if message.get("refusal"):
                delta["refusal"] = message["refusal"]
            events.append((None, {**head, "choices": [{"index": index, "delta": delta, "finish_reason": None}]}))
            calls = [{"index": i, **call} for i, call in enumerate(message.get("tool_calls") or ())]
            if calls:
                events.append((None, {**head, "choices": [{"index": index, "delta": {"tool_calls": calls},
                                                           "finish_reason": None}]}))  # fmt: skip
            events.append((None, {**head, "choices": [{"index": index, "delta": {},
                                                       "finish_reason": choice.get("finish_reason")}]}))  # fmt: skip
        options = request.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage"):
            events.append((None, {**head, "choices": [], "usage": response.get("usage")}))
        return events

    def with_output_text(self, response: dict[str, Any], text: str) -> dict[str, Any]:
        choices = [dict(choice) for choice in response.get("choices") or ()] or [
            {"index": 0, "message": {"role": "assistant"}, "finish_reason": "stop", "logprobs": None}]
        choices[0]["message"] = {**(choices[0].get("message") or {}), "content": text}
        return {**response, "choices": choices}

    def with_input_text(self, request: dict[str, Any], text: str) -> dict[str, Any]:
        return {**request, "messages": replace_last_user_text(list(request.get("messages") or ()), text)}

    def input_messages(self, request: Mapping[str, Any]) -> Any:
        return messages.chat_input(request.get("messages") or ())


class ResponsesBody:
    """`/responses`: a `response`, streamed as its `response.*` events."""

    done_marker = False

    def response(self, attributes: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
        response_id, model = _common(attributes, request, "resp_ao_replay")
        recorded = _parts(attributes)
        parts, reason = recorded[0] if recorded else ([], "stop")
        output: list[dict[str, Any]] = []
        for part in parts:
            kind = part.get("type")
            if kind in ("text", "refusal"):
                content = ({"type": "output_text", "text": str(part.get("content") or ""), "annotations": []}
                           if kind == "text" else {"type": "refusal", "refusal": str(part.get("content") or "")})
                if output and output[-1]["type"] == "message":
                    output[-1]["content"].append(content)
                else:
                    output.append({"type": "message", "id": f"msg_ao_{len(output)}", "status": "completed",
                                   "role": "assistant", "content": [content]})  # fmt: skip
            elif kind == "tool_call":
                output.append({"type": "function_call", "id": f"fc_ao_{len(output)}", "call_id": part.get("id"),
                               "name": part.get("name"), "arguments": _arguments(part.get("arguments")),
                               "status": "completed"})  # fmt: skip
            elif kind == "reasoning":
                output.append({"type": "reasoning", "id": f"rs_ao_{len(output)}",
                               "summary": [{"type": "summary_text", "text": str(part.get("content") or "")}]})
        incomplete = {"length": "max_output_tokens", "content_filter": "content_filter"}.get(reason)
        prompt, completion = recorded_int(attributes, sc.USAGE_INPUT_TOKENS), recorded_int(attributes, sc.USAGE_OUTPUT_TOKENS)
        return {
            "id": response_id, "object": "response", "created_at": int(time.time()), "model": model,
            "status": "incomplete" if incomplete else "completed",
            "incomplete_details": {"reason": incomplete} if incomplete else None, "error": None,
            "output": output, "instructions": request.get("instructions"), "metadata": {},
            "parallel_tool_calls": True, "tool_choice": request.get("tool_choice", "auto"),
            "tools": request.get("tools", []), "text": request.get("text", {"format": {"type": "text"}}),
            "usage": {"input_tokens": prompt, "output_tokens": completion, "total_tokens": prompt + completion,
                      "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}},
        }  # fmt: skip

    def events(self, response: Mapping[str, Any], request: Mapping[str, Any]) -> list[Event]:
        events: list[Event] = []

        def emit(kind: str, **data: Any) -> None:
            events.append((kind, {"type": kind, "sequence_number": len(events), **data}))

        started = {**response, "status": "in_progress", "output": []}
        emit("response.created", response=started)
        emit("response.in_progress", response=started)
        for position, item in enumerate(response.get("output") or ()):
            kind, item_id = item.get("type"), item.get("id")
            if kind == "message":
                emit("response.output_item.added", output_index=position, item={**item, "status": "in_progress", "content": []})
                for index, part in enumerate(item.get("content") or ()):
                    where = {"item_id": item_id, "output_index": position, "content_index": index}
                    if part.get("type") == "output_text":
                        emit("response.content_part.added", **where, part={**part, "text": ""})
                        emit("response.output_text.delta", **where, delta=part.get("text", ""), logprobs=[])
                        emit("response.output_text.done", **where, text=part.get("text", ""), logprobs=[])
                    else:
                        emit("response.content_part.added", **where, part=part)
                    emit("response.content_part.done", **where, part=part)
            elif kind == "function_call":
                emit("response.output_item.added", output_index=position, item={**item, "arguments": "", "status": "in_progress"})
                where = {"item_id": item_id, "output_index": position}
                emit("response.function_call_arguments.delta", **where, delta=item.get("arguments", ""))
                emit("response.function_call_arguments.done", **where, arguments=item.get("arguments", ""))
            else:
                emit("response.output_item.added", output_index=position, item=item)
            emit("response.output_item.done", output_index=position, item=item)
        emit("response.incomplete" if response.get("status") == "incomplete" else "response.completed", response=response)
        return events

    def with_output_text(self, response: dict[str, Any], text: str) -> dict[str, Any]:
        output = [dict(item) for item in response.get("output") or ()]
        for item in output:
            if item.get("type") != "message":
                continue
            content = [dict(part) for part in item.get("content") or ()]
            for part in content:
                if part.get("type") == "output_text":
                    part["text"] = text
                    break
            else:
                content.insert(0, {"type": "output_text", "text": text, "annotations": []})
            item["content"] = content
            break
        else:
            output.insert(0, {"type": "message", "id": "msg_ao_edit", "status": "completed", "role": "assistant",
                              "content": [{"type": "output_text", "text": text, "annotations": []}]})  # fmt: skip
        return {**response, "output": output}

    def with_input_text(self, request: dict[str, Any], text: str) -> dict[str, Any]:
        items = request.get("input")
        if not isinstance(items, list):
            return {**request, "input": text}
        return {**request, "input": replace_last_user_text(items, text, "input_text")}

    def input_messages(self, request: Mapping[str, Any]) -> Any:
        items = request.get("input")
        return messages.responses_input(items) if items is not None else None


class EmbeddingsBody:
    """`/embeddings`: the vectors recorded beside the span's content (`ao.embeddings.output`)."""

    done_marker = False

    def response(self, attributes: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
        _, model = _common(attributes, request, "")
        vectors = recorded_json(attributes, sc.AO_EMBEDDINGS_OUTPUT)
        if not isinstance(vectors, list):
            raise ValueError("the recorded call has no embeddings")
        as_text = request.get("encoding_format") == "base64"
        data = [{"object": "embedding", "index": index, "embedding": _as_text(vector) if as_text else _floats(vector)}
                for index, vector in enumerate(vectors)]  # fmt: skip
        prompt = recorded_int(attributes, sc.USAGE_INPUT_TOKENS)
        return {"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": prompt, "total_tokens": prompt}}

    def events(self, response: Mapping[str, Any], request: Mapping[str, Any]) -> list[Event]:
        raise ValueError("embeddings are not streamed")

    def with_output_text(self, response: dict[str, Any], text: str) -> dict[str, Any]:
        raise ValueError("an embeddings output has no text to edit")

    def with_input_text(self, request: dict[str, Any], text: str) -> dict[str, Any]:
        items = request.get("input")
        if isinstance(items, list) and items and all(isinstance(item, str) for item in items):
            return {**request, "input": [*items[:-1], text]}
        return {**request, "input": text}

    def input_messages(self, request: Mapping[str, Any]) -> Any:
        items = request.get("input")
        return messages.embeddings_input(items) if items is not None else None


def encode_vector(vector: Any) -> str | list[float]:
    """An embedding as recorded: base64 of float32 (as the API sends it) where that holds its values
    exactly, as the SDK's own decoding of the default base64 format gives them, else the floats."""
    if isinstance(vector, str):
        return vector
    values = array("f", vector)
    if values.tolist() != list(vector):
        return list(vector)
    return _as_text(values)


def _as_text(vector: Any) -> str:
    if isinstance(vector, str):
        return vector
    values = vector if isinstance(vector, array) else array("f", vector)
    if sys.byteorder != "little":
        values = array("f", values)
        values.byteswap()
    return base64.b64encode(values.tobytes()).decode("ascii")


def _floats(vector: Any) -> list[float]:
    if not isinstance(vector, str):
        return [float(value) for value in vector]
    values = array("f")
    values.frombytes(base64.b64decode(vector))
    if sys.byteorder != "little":
        values.byteswap()
    return values.tolist()


CHAT = ChatBody()
RESPONSES = ResponsesBody()
EMBEDDINGS = EmbeddingsBody()
