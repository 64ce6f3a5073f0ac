"""A tool-call loop: the model calls a tool, the program runs it and sends the result back.

expect: A->B
reply A: {"tool_call": {"name": "get_weather", "arguments": {"city": "Oslo"}}}
reply B: It is sunny in Oslo.
"""

import json

import openai

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]


def get_weather(city):
    return {"city": city, "forecast": "sunny", "celsius": 21}


client = openai.OpenAI(max_retries=0)
messages = [{"role": "user", "content": "Weather in Oslo?"}]
first = client.chat.completions.create(model="A", messages=messages, tools=TOOLS).choices[0].message
messages.append(first)
for call in first.tool_calls:
    result = get_weather(**json.loads(call.function.arguments))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
client.chat.completions.create(model="B", messages=messages, tools=TOOLS)
