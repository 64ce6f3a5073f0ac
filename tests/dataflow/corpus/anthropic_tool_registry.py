"""An Anthropic tool loop driven by a registry of tools (a dict of callables), looping while
`stop_reason == "tool_use"`; tool results are JSON strings; the final answer is then condensed.

The lookup tool returns a table value selected by the model's argument; that value still reaches B
inside the tool_result next to the model's tool_use block (A->B either way). C gets only B's answer.

expect: A->B B->C
reply A: {"tool_call": {"name": "lookup_order", "arguments": {"order_id": "A-1042"}}}
reply B: Your order A-1042 shipped yesterday.
reply C: Shipped.
"""

import json

import anthropic

ORDERS = {"A-1042": {"status": "shipped", "eta_days": 2}}


def lookup_order(order_id):
    order = ORDERS.get(order_id.strip().upper(), {"status": "unknown"})
    return {"order_id": order_id, **order}


TOOLS = {"lookup_order": lookup_order}
SCHEMAS = [{"name": "lookup_order", "description": "Find an order", "input_schema": {"type": "object", "properties": {"order_id": {"type": "string"}}}}]

client = anthropic.Anthropic(max_retries=0)
history = [{"role": "user", "content": "Where is my order A-1042?"}]
model_for_turn = iter(["A", "B"])
while True:
    response = client.messages.create(model=next(model_for_turn), max_tokens=300, tools=SCHEMAS, messages=history)
    history.append({"role": "assistant", "content": [block.model_dump() for block in response.content]})
    if response.stop_reason != "tool_use":
        break
    results = []
    for block in response.content:
        if block.type == "tool_use":
            output = TOOLS[block.name](**block.input)
            results.append({"type": "tool_result", "tool_use_id": block.id, "content": json.dumps(output)})
    history.append({"role": "user", "content": results})

final = history[-1]["content"][0]["text"]
client.messages.create(model="C", max_tokens=50, messages=[{"role": "user", "content": f"Condense: {final}"}])
