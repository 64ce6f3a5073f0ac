"""An Anthropic tool loop: tool_use input runs a tool; its tool_result goes back with the assistant turn.

expect: A->B
reply A: {"tool_call": {"name": "convert", "arguments": {"amount": 12, "currency": "EUR"}}}
reply B: 12 EUR is about 13 USD.
"""

import anthropic

TOOLS = [{"name": "convert", "description": "Convert money", "input_schema": {"type": "object", "properties": {"amount": {"type": "number"}}}}]


def convert(amount, currency):
    return f"{amount * 1.08:.2f} USD (from {currency})"


client = anthropic.Anthropic(max_retries=0)
messages = [{"role": "user", "content": "Convert 12 EUR"}]
first = client.messages.create(model="A", max_tokens=100, tools=TOOLS, messages=messages)
messages.append({"role": "assistant", "content": first.content})
results = [
    {"type": "tool_result", "tool_use_id": block.id, "content": convert(**block.input)}
    for block in first.content
    if block.type == "tool_use"
]
messages.append({"role": "user", "content": results})
client.messages.create(model="B", max_tokens=100, tools=TOOLS, messages=messages)
