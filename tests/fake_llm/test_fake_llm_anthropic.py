"""Anthropic messages against the fake server, through the real anthropic SDK."""

from __future__ import annotations

import asyncio

import anthropic
import pytest
from pydantic import BaseModel

from fake_llm import FakeLLM

USER = [{"role": "user", "content": "Name a prime number"}]
TOOLS = [
    {
        "name": "lookup",
        "description": "Look something up",
        "input_schema": {"type": "object", "properties": {"term": {"type": "string"}}, "required": ["term"]},
    }
]


def test_create_text(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(model="claude-sonnet-4-6", max_tokens=100, messages=USER, system="Be terse")
    assert message.content[0].type == "text" and message.content[0].text == "reply 1 to: Name a prime number"
    assert message.id == "msg_fake1" and message.model == "claude-sonnet-4-6"
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0


def test_tool_use_and_tool_result(fake: FakeLLM, claude: anthropic.Anthropic) -> None:
    fake.reply_tool_call("lookup", {"term": "prime"}, text="Let me look.")
    message = claude.messages.create(model="claude-sonnet-4-6", max_tokens=100, messages=USER, tools=TOOLS)
    text, tool_use = message.content
    assert text.type == "text" and text.text == "Let me look."
    assert tool_use.type == "tool_use" and tool_use.id == "toolu_fake1_0"
    assert tool_use.name == "lookup" and tool_use.input == {"term": "prime"}
    assert message.stop_reason == "tool_use"
    result = [{"type": "tool_result", "tool_use_id": tool_use.id, "content": "2 is prime"}]
    history = [*USER, {"role": "assistant", "content": message.content}, {"role": "user", "content": result}]
    answer = claude.messages.create(model="claude-sonnet-4-6", max_tokens=100, messages=history, tools=TOOLS)
    assert answer.content[0].text == "reply 2 to: 2 is prime"


def test_raw_stream_events(claude: anthropic.Anthropic) -> None:
    events = list(claude.messages.create(model="claude-sonnet-4-6", max_tokens=100, messages=USER, stream=True))
    types = [event.type for event in events]
    assert types[0] == "message_start" and types[-2:] == ["message_delta", "message_stop"]
    assert "".join(e.delta.text for e in events if e.type == "content_block_delta") == "reply 1 to: Name a prime number"
    assert events[-2].usage.output_tokens > 0


def test_stream_helper_accumulates_tool_input(fake: FakeLLM, claude: anthropic.Anthropic) -> None:
    fake.reply_tool_call("lookup", {"term": "a long search term to split into several json deltas"})
    with claude.messages.stream(model="claude-sonnet-4-6", max_tokens=100, messages=USER, tools=TOOLS) as stream:
        kinds = {event.type for event in stream}
        final = stream.get_final_message()
    assert "input_json" in kinds
    assert final.content[0].type == "tool_use"
    assert final.content[0].input == {"term": "a long search term to split into several json deltas"}
    assert final.stop_reason == "tool_use" and final.usage.output_tokens > 0


def test_stream_helper_text(claude: anthropic.Anthropic) -> None:
    with claude.messages.stream(model="claude-sonnet-4-6", max_tokens=100, messages=USER) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == final.content[0].text == "reply 1 to: Name a prime number"


class Prime(BaseModel):
    value: int
    explanation: str


def test_parse_with_output_format(claude: anthropic.Anthropic) -> None:
    message = claude.messages.parse(model="claude-sonnet-4-6", max_tokens=100, messages=USER, output_format=Prime)
    assert isinstance(message.parsed_output, Prime)
    assert message.parsed_output.explanation == "reply 1 to: Name a prime number"


def test_truncated_reply_stops_at_max_tokens(fake: FakeLLM, claude: anthropic.Anthropic) -> None:
    fake.reply("partial", truncated=True)
    assert claude.messages.create(model="claude-sonnet-4-6", max_tokens=5, messages=USER).stop_reason == "max_tokens"


def test_filtered_reply_is_a_refusal(fake: FakeLLM, claude: anthropic.Anthropic) -> None:
    fake.reply("no", filtered=True)
    assert claude.messages.create(model="claude-sonnet-4-6", max_tokens=5, messages=USER).stop_reason == "refusal"
    fake.fail()
    with pytest.raises(anthropic.InternalServerError):
        claude.messages.create(model="claude-sonnet-4-6", max_tokens=5, messages=USER)


def test_count_tokens(claude: anthropic.Anthropic) -> None:
    assert claude.messages.count_tokens(model="claude-sonnet-4-6", messages=USER).input_tokens > 0


def test_async_client(aclaude: anthropic.AsyncAnthropic) -> None:
    async def main() -> tuple[str, str]:
        whole = await aclaude.messages.create(model="claude-haiku-4-5", max_tokens=50, messages=USER)
        async with aclaude.messages.stream(model="claude-haiku-4-5", max_tokens=50, messages=USER) as stream:
            final = await stream.get_final_message()
        return whole.content[0].text, final.content[0].text

    assert asyncio.run(main()) == ("reply 1 to: Name a prime number", "reply 2 to: Name a prime number")
