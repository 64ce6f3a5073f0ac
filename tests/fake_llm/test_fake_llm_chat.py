"""Chat completions against the fake server, through the real openai SDK."""

from __future__ import annotations

import asyncio
import json

import openai
from pydantic import BaseModel

from fake_llm import FakeLLM

USER = [{"role": "user", "content": "What is the capital of France?"}]


def test_default_reply_is_numbered_and_derived_from_the_last_user_message(oai: openai.OpenAI) -> None:
    first = oai.chat.completions.create(model="gpt-4o", messages=USER)
    second = oai.chat.completions.create(model="gpt-4o", messages=USER)
    assert first.choices[0].message.content == "reply 1 to: What is the capital of France?"
    assert second.choices[0].message.content == "reply 2 to: What is the capital of France?"
    assert first.id == "chatcmpl-fake1" and first.model == "gpt-4o"
    assert first.choices[0].finish_reason == "stop"
    assert first.usage is not None and first.usage.prompt_tokens > 0 and first.usage.completion_tokens > 0
    assert first.usage.total_tokens == first.usage.prompt_tokens + first.usage.completion_tokens


def test_queued_replies_come_first_in_order(fake: FakeLLM, oai: openai.OpenAI) -> None:
    fake.reply("Paris")
    fake.reply("Lyon", input_tokens=7, output_tokens=3)
    texts = [oai.chat.completions.create(model="gpt-4o", messages=USER) for _ in range(3)]
    assert [t.choices[0].message.content for t in texts] == ["Paris", "Lyon", "reply 3 to: What is the capital of France?"]
    assert texts[1].usage is not None and (texts[1].usage.prompt_tokens, texts[1].usage.completion_tokens) == (7, 3)


def test_tool_call(fake: FakeLLM, oai: openai.OpenAI) -> None:
    fake.reply_tool_call("get_weather", {"city": "Paris"})
    completion = oai.chat.completions.create(model="gpt-4o", messages=USER)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.id == "call_fake1_0"
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Paris"}


def test_stream_with_usage(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.chat.completions.create(
            model="gpt-4o", messages=USER, stream=True, stream_options={"include_usage": True}
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "reply 1 to: What is the capital of France?"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_without_usage_has_no_usage_chunk(oai: openai.OpenAI) -> None:
    chunks = list(oai.chat.completions.create(model="gpt-4o", messages=USER, stream=True))
    assert all(c.choices for c in chunks) and all(c.usage is None for c in chunks)


def test_stream_helper_accumulates_tool_calls(fake: FakeLLM, oai: openai.OpenAI) -> None:
    fake.reply_tool_call("search", {"query": "capital of France", "limit": 3}, text="Searching.")
    with oai.chat.completions.stream(model="gpt-4o", messages=USER) as stream:
        final = stream.get_final_completion()
    message = final.choices[0].message
    assert message.content == "Searching."
    assert message.tool_calls[0].function.name == "search"
    assert json.loads(message.tool_calls[0].function.arguments) == {"query": "capital of France", "limit": 3}
    assert final.choices[0].finish_reason == "tool_calls"


class City(BaseModel):
    name: str
    population: int
    tags: list[str]
    capital: bool | None


def test_parse_fills_the_schema(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.parse(model="gpt-4o", messages=USER, response_format=City)
    city = completion.choices[0].message.parsed
    assert isinstance(city, City)
    assert city.name.startswith("reply 1 to: What is the capital")


def test_parse_uses_a_queued_json_reply(fake: FakeLLM, oai: openai.OpenAI) -> None:
    fake.reply(json.dumps({"name": "Paris", "population": 2100000, "tags": ["capital"], "capital": True}))
    city = oai.chat.completions.parse(model="gpt-4o", messages=USER, response_format=City).choices[0].message.parsed
    assert city == City(name="Paris", population=2100000, tags=["capital"], capital=True)


def test_async_client_streams_and_completes(fake: FakeLLM, aoai: openai.AsyncOpenAI) -> None:
    async def main() -> tuple[str, str]:
        whole = await aoai.chat.completions.create(model="gpt-4o", messages=USER)
        stream = await aoai.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
        parts = [chunk.choices[0].delta.content or "" async for chunk in stream]
        return whole.choices[0].message.content or "", "".join(parts)

    whole, streamed = asyncio.run(main())
    assert whole.startswith("reply 1 to:") and streamed.startswith("reply 2 to:")


def test_json_object_mode_and_truncation(fake: FakeLLM, oai: openai.OpenAI) -> None:
    json_mode = oai.chat.completions.create(model="gpt-4o", messages=USER, response_format={"type": "json_object"})
    assert json.loads(json_mode.choices[0].message.content or "") == {"reply": "reply 1 to: What is the capital of France?"}
    fake.reply("cut sh", truncated=True)
    assert oai.chat.completions.create(model="gpt-4o", messages=USER).choices[0].finish_reason == "length"
    fake.reply("no", filtered=True)
    assert oai.chat.completions.create(model="gpt-4o", messages=USER).choices[0].finish_reason == "content_filter"
    fake.reply("no", filtered=True)
    chunks = list(oai.chat.completions.create(model="gpt-4o", messages=USER, stream=True))
    assert chunks[-1].choices[0].finish_reason == "content_filter"


def test_concurrent_requests_get_distinct_numbers(aoai: openai.AsyncOpenAI) -> None:
    async def main() -> list[str]:
        calls = [aoai.chat.completions.create(model="gpt-4o", messages=USER) for _ in range(10)]
        return [completion.choices[0].message.content or "" for completion in await asyncio.gather(*calls)]

    numbers = {text.split()[1] for text in asyncio.run(main())}
    assert numbers == {str(n) for n in range(1, 11)}
