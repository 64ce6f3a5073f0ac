"""Anthropic tool loop with two `tool_use` blocks in one response (parallel tools): each tool runs
on its own input, and the `tool_result` blocks go back in one user turn (A->B through the history).
Separately, C gets only the result of the unit-conversion tool, computed from A's argument (a
number parsed from its input: A->C), and D only the result of the clock tool, which ignores its
input and returns a constant (no edge).

expect: A->B A->C
reply A: {"tool_calls": [{"name": "convert", "arguments": {"celsius": "21.5"}}, {"name": "clock", "arguments": {"zone": "UTC"}}]}
reply B: It is 70.7F at noon.
reply C: ok
reply D: ok
"""

import anthropic

TOOLS = [
    {"name": "convert", "description": "C to F", "input_schema": {"type": "object", "properties": {"celsius": {"type": "string"}}}},
    {"name": "clock", "description": "time", "input_schema": {"type": "object", "properties": {"zone": {"type": "string"}}}},
]


def convert(celsius):
    return f"{float(celsius) * 9 / 5 + 32:.1f}F"


def clock(zone):
    return "12:00"


client = anthropic.Anthropic(max_retries=0)
messages = [{"role": "user", "content": "Temperature and time?"}]
response = client.messages.create(model="A", max_tokens=200, tools=TOOLS, messages=messages)
messages.append({"role": "assistant", "content": response.content})
results = {}
for block in response.content:
    if block.type == "tool_use":
        results[block.name] = {"convert": convert, "clock": clock}[block.name](**block.input)
messages.append({"role": "user", "content": [
    {"type": "tool_result", "tool_use_id": block.id, "content": results[block.name]}
    for block in response.content if block.type == "tool_use"
]})
client.messages.create(model="B", max_tokens=200, tools=TOOLS, messages=messages)
client.messages.create(model="C", max_tokens=50, messages=[{"role": "user", "content": "Temperature: " + results["convert"]}])
client.messages.create(model="D", max_tokens=50, messages=[{"role": "user", "content": "Time: " + results["clock"]}])
