"""Sources: what the SDKs return is labelled where it carries model output, and nowhere else."""

from __future__ import annotations

import anthropic.types
import openai.types.chat
import openai.types.responses
import pydantic
from opentelemetry.trace import SpanContext

from ao_instrument.dataflow import patches
from ao_instrument.dataflow.labels import LStr
from ao_instrument.dataflow.tracker import Tracker
from tests.dataflow.conftest import ids

ORIGIN = SpanContext(trace_id=1, span_id=9, is_remote=False)


def test_chat_completion_with_tool_calls() -> None:
    completion = openai.types.chat.ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-x",
            "choices": [{
                "index": 0, "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant", "content": "Let me check.",
                    "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get", "arguments": '{"q": 1}'}}],
                },
            }],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        }
    )  # fmt: skip
    out = Tracker().label_output(completion, ORIGIN)
    message = out.choices[0].message
    call = message.tool_calls[0]
    assert ids(message.content) == {9} and ids(call.function.arguments) == {9} and ids(call.id) == {9}
    assert ids(call.function.name) == {9}
    for plain in (out.model, out.object, message.role, out.choices[0].finish_reason, call.type, out.usage.total_tokens):
        assert ids(plain) == set(), plain
    assert isinstance(out.model_dump()["choices"][0]["message"]["content"], LStr)
    assert out.model_dump_json()  # serializers accept the labelled values


def test_stream_chunks_and_parsed_outputs() -> None:
    chunk = openai.types.chat.ChatCompletionChunk.model_validate(
        {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
         "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}]}
    )  # fmt: skip
    assert ids(Tracker().label_output(chunk, ORIGIN).choices[0].delta.content) == {9}

    class Verdict(pydantic.BaseModel):
        label: str
        score: float
        count: int

    parsed = Tracker().label_output(Verdict(label="ok", score=0.5, count=3), ORIGIN)
    assert ids(parsed.label) == ids(parsed.score) == ids(parsed.count) == {9}


def test_anthropic_message_with_tool_use() -> None:
    message = anthropic.types.Message.model_validate(
        {
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x", "stop_reason": "tool_use",
            "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 2},
            "content": [{"type": "text", "text": "Looking up."},
                        {"type": "tool_use", "id": "tu_1", "name": "lookup", "input": {"term": "x", "limit": 2}}],
        }
    )  # fmt: skip
    out = Tracker().label_output(message, ORIGIN)
    text, use = out.content
    assert ids(text.text) == {9} and ids(use.input["term"]) == {9} and ids(use.input["limit"]) == {9}
    assert ids(out.role) == ids(out.model) == ids(out.stop_reason) == ids(text.type) == set()


def test_embeddings_are_not_walked() -> None:
    response = openai.types.CreateEmbeddingResponse.model_validate(
        {"object": "list", "model": "e", "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
         "usage": {"prompt_tokens": 1, "total_tokens": 1}}
    )  # fmt: skip
    out = Tracker().label_output(response, ORIGIN)
    assert [type(x) for x in out.data[0].embedding] == [float, float]


def test_responses_output_text_is_labelled() -> None:
    response = openai.types.responses.Response.model_validate(
        {
            "id": "resp_1", "object": "response", "created_at": 1, "model": "m", "parallel_tool_calls": False,
            "tool_choice": "auto", "tools": [], "status": "completed",
            "output": [{"type": "message", "id": "m1", "role": "assistant", "status": "completed",
                        "content": [{"type": "output_text", "text": "Hello there", "annotations": []}]}],
        }
    )  # fmt: skip
    patches.install()
    try:
        out = Tracker().label_output(response, ORIGIN)
        assert out.output_text == "Hello there" and ids(out.output_text) == {9}
    finally:
        patches.uninstall()


def test_plain_strings_from_stream_helpers() -> None:
    out = Tracker().label_output("delta text", ORIGIN)
    assert isinstance(out, LStr) and ids(out) == {9}
    assert Tracker().label_output("", ORIGIN) == ""
