"""Anthropic Messages: a text block and a tool_use block's input feed the next calls.

expect: A->B T->C
reply A: Bonjour tout le monde
reply T: {"tool_call": {"name": "lookup", "arguments": {"term": "croissant", "limit": 2}}}
"""

import anthropic

client = anthropic.Anthropic(max_retries=0)
msg = client.messages.create(model="A", max_tokens=50, messages=[{"role": "user", "content": "Greet in French"}])
greeting = "".join(block.text for block in msg.content if block.type == "text")
client.messages.create(model="B", max_tokens=50, messages=[{"role": "user", "content": f"Translate: {greeting}"}])
tools = [{"name": "lookup", "description": "Look up", "input_schema": {"type": "object", "properties": {"term": {"type": "string"}}}}]
called = client.messages.create(model="T", max_tokens=50, tools=tools, messages=[{"role": "user", "content": "Look up"}])
use = next(block for block in called.content if block.type == "tool_use")
client.messages.create(model="C", max_tokens=50, messages=[{"role": "user", "content": f"Define {use.input['term']} x{use.input['limit'] + 1}"}])
