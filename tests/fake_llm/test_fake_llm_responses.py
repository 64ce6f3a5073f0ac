"""Responses API and embeddings against the fake server, through the real openai SDK."""

from __future__ import annotations

import asyncio
import json
import math

import openai
import pytest
from pydantic import BaseModel

from fake_llm import FakeLLM

TOOLS = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "Weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
]


def test_create_text(oai: openai.OpenAI) -> None:
    response = oai.responses.create(model="gpt-4.1", input="Tell me a joke", instructions="Be brief")
    assert response.output_text == "reply 1 to: Tell me a joke"
    assert response.id == "resp_fake1" and response.status == "completed" and response.model == "gpt-4.1"
    assert response.instructions == "Be brief"
    assert response.usage is not None and response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens


def test_default_reply_follows_the_last_user_item(oai: openai.OpenAI) -> None:
    items = [
        {"role": "user", "content": [{"type": "input_text", "text": "first question"}]},
        {"role": "assistant", "content": "an answer"},
        {"role": "user", "content": [{"type": "input_text", "text": "second question"}]},
    ]
    assert oai.responses.create(model="gpt-4.1", input=items).output_text == "reply 1 to: second question"


def test_function_call_item(fake: FakeLLM, oai: openai.OpenAI) -> None:
    fake.reply_tool_call("get_weather", {"city": "Oslo"}, id="call_oslo")
    response = oai.responses.create(model="gpt-4.1", input="Weather in Oslo?", tools=TOOLS)
    [call] = response.output
    assert call.type == "function_call" and call.name == "get_weather" and call.call_id == "call_oslo"
    assert json.loads(call.arguments) == {"city": "Oslo"}
    follow_up = oai.responses.create(
        model="gpt-4.1",
        input=[{"type": "function_call_output", "call_id": "call_oslo", "output": "sunny, 21C"}],
        previous_response_id=response.id,
    )
    assert follow_up.output_text == "reply 2 to: sunny, 21C"


def test_raw_stream_events(oai: openai.OpenAI) -> None:
    events = list(oai.responses.create(model="gpt-4.1", input="Stream this answer", stream=True))
    types = [event.type for event in events]
    assert types[:2] == ["response.created", "response.in_progress"] and types[-1] == "response.completed"
    assert [event.sequence_number for event in events] == list(range(len(events)))
    text = "".join(event.delta for event in events if event.type == "response.output_text.delta")
    assert text == "reply 1 to: Stream this answer"
    assert events[-1].response.usage is not None and events[-1].response.usage.output_tokens > 0


def test_stream_helper_with_text_and_tool_call(fake: FakeLLM, oai: openai.OpenAI) -> None:
    fake.reply_tool_call("get_weather", {"city": "Rome"}, text="Checking the weather.")
    with oai.responses.stream(model="gpt-4.1", input="Weather in Rome?", tools=TOOLS) as stream:
        deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text == "Checking the weather."
    call = final.output[1]
    assert call.type == "function_call" and json.loads(call.arguments) == {"city": "Rome"}


class Joke(BaseModel):
    setup: str
    punchline: str
    rating: int


def test_parse_and_stream_with_text_format(oai: openai.OpenAI) -> None:
    parsed = oai.responses.parse(model="gpt-4.1", input="A joke please", text_format=Joke).output_parsed
    assert isinstance(parsed, Joke) and parsed.setup == "reply 1 to: A joke please"
    with oai.responses.stream(model="gpt-4.1", input="Another", text_format=Joke) as stream:
        assert isinstance(stream.get_final_response().output_parsed, Joke)


def test_async_stream_helper(aoai: openai.AsyncOpenAI) -> None:
    async def main() -> str:
        async with aoai.responses.stream(model="gpt-4.1", input="async please") as stream:
            return (await stream.get_final_response()).output_text

    assert asyncio.run(main()) == "reply 1 to: async please"


def test_embeddings_are_deterministic_unit_vectors(fake: FakeLLM, oai: openai.OpenAI) -> None:
    fake.reply("queued replies are for generation endpoints only")
    first = oai.embeddings.create(model="text-embedding-3-small", input=["apple", "pear"])
    again = oai.embeddings.create(model="text-embedding-3-small", input="apple", encoding_format="float")
    assert fake.pending == 1
    vectors = [item.embedding for item in first.data]
    assert len(vectors) == 2 and all(len(vector) == 8 for vector in vectors)
    assert vectors[0] == again.data[0].embedding and vectors[0] != vectors[1]
    assert math.isclose(sum(v * v for v in vectors[0]), 1.0, rel_tol=1e-5)
    wide = oai.embeddings.create(model="text-embedding-3-small", input="apple", dimensions=100)
    assert len(wide.data[0].embedding) == 100
    assert first.usage.prompt_tokens > 0


def test_truncated_reply_is_incomplete(fake: FakeLLM, oai: openai.OpenAI) -> None:
    fake.reply("partial", truncated=True)
    response = oai.responses.create(model="gpt-4.1", input="long essay")
    assert response.status == "incomplete" and response.incomplete_details.reason == "max_output_tokens"
    fake.reply("partial", truncated=True)
    events = list(oai.responses.create(model="gpt-4.1", input="long essay", stream=True))
    assert events[-1].type == "response.incomplete"


def test_filtered_reply_is_incomplete(fake: FakeLLM, oai: openai.OpenAI) -> None:
    fake.reply("no", filtered=True)
    response = oai.responses.create(model="gpt-4.1", input="something bad")
    assert response.status == "incomplete" and response.incomplete_details.reason == "content_filter"
    fake.reply("no", filtered=True)
    events = list(oai.responses.create(model="gpt-4.1", input="something bad", stream=True))
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.incomplete_details.reason == "content_filter"


def test_failed_response(fake: FakeLLM, oai: openai.OpenAI) -> None:
    fake.fail("rate_limit_exceeded", "slow down")
    response = oai.responses.create(model="gpt-4.1", input="question")
    assert (response.id, response.status, response.output, response.usage) == ("resp_fake1", "failed", [], None)
    assert (response.error.code, response.error.message) == ("rate_limit_exceeded", "slow down")
    assert response.incomplete_details is None


def test_failed_response_stream(fake: FakeLLM, aoai: openai.AsyncOpenAI) -> None:
    fake.fail()

    async def run() -> list:
        return [event async for event in await aoai.responses.create(model="gpt-4.1", input="q", stream=True)]

    events = asyncio.run(run())
    assert [event.type for event in events] == ["response.created", "response.in_progress", "response.failed"]
    assert [event.sequence_number for event in events] == [0, 1, 2]
    final = events[-1].response
    assert final.status == "failed" and final.error.code == "server_error"
    assert final.error.message == "The model failed to answer (fake server_error)."


def test_failure_elsewhere_is_a_server_error(fake: FakeLLM, oai: openai.OpenAI) -> None:
    fake.fail("server_error", "it broke")
    with pytest.raises(openai.InternalServerError, match="it broke"):
        oai.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "q"}])
