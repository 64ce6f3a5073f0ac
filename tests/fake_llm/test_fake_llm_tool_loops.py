"""Tool loops as agent frameworks run them: one model, a tool call first, a final answer once the
conversation holds the tool's result (`after_tool`), on chat, Responses and Anthropic messages."""

from __future__ import annotations

import anthropic
import openai

from fake_llm import FakeLLM
from fake_llm.replies import rule_from_spec

LOOP = {"match": "", "model": "m", "tool_call": {"name": "lookup", "arguments": {"q": "oslo"}}, "after_tool": "Oslo is cold."}


def test_chat_tool_loop_ends_after_the_tool_result(fake: FakeLLM, oai: openai.OpenAI) -> None:
    fake.on(rule_from_spec(LOOP))
    messages: list = [{"role": "user", "content": "weather?"}]
    first = oai.chat.completions.create(model="m", messages=messages).choices[0].message
    assert first.tool_calls and first.tool_calls[0].function.name == "lookup"
    messages += [first, {"role": "tool", "tool_call_id": first.tool_calls[0].id, "content": "-3 C"}]
    second = oai.chat.completions.create(model="m", messages=messages).choices[0].message
    assert second.content == "Oslo is cold." and not second.tool_calls


def test_responses_tool_loop_ends_after_the_function_call_output(fake: FakeLLM, oai: openai.OpenAI) -> None:
    fake.on(rule_from_spec(LOOP))
    first = oai.responses.create(model="m", input="weather?")
    call = next(item for item in first.output if item.type == "function_call")
    items = [{"role": "user", "content": "weather?"}, call, {"type": "function_call_output", "call_id": call.call_id, "output": "-3 C"}]
    assert oai.responses.create(model="m", input=items).output_text == "Oslo is cold."


def test_anthropic_tool_loop_ends_after_the_tool_result(fake: FakeLLM, claude: anthropic.Anthropic) -> None:
    fake.on(rule_from_spec(LOOP))
    messages: list = [{"role": "user", "content": "weather?"}]
    first = claude.messages.create(model="m", max_tokens=50, messages=messages)
    use = next(block for block in first.content if block.type == "tool_use")
    messages += [
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "-3 C"}]},
    ]
    second = claude.messages.create(model="m", max_tokens=50, messages=messages)
    assert [block.text for block in second.content if block.type == "text"] == ["Oslo is cold."]


def test_without_after_tool_the_same_reply_comes_again(fake: FakeLLM, oai: openai.OpenAI) -> None:
    fake.on(rule_from_spec({key: value for key, value in LOOP.items() if key != "after_tool"}))
    messages: list = [{"role": "user", "content": "weather?"}]
    first = oai.chat.completions.create(model="m", messages=messages).choices[0].message
    messages += [first, {"role": "tool", "tool_call_id": first.tool_calls[0].id, "content": "-3 C"}]
    assert oai.chat.completions.create(model="m", messages=messages).choices[0].message.tool_calls
