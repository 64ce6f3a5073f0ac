"""asyncio 3.11: `asyncio.TaskGroup` runs two AsyncOpenAI calls, `asyncio.wait_for` bounds a third,
and an async generator streams B's deltas (`stream=True`), re-yielding them upper-cased; an
`async for` comprehension collects the pieces for C. D is awaited under `wait_for` with A's answer.

expect: A->B A->D B->C
reply A: Explain tides.
reply B: Tides come from the moon's pull on the oceans.
reply C: ok
reply D: ok
reply E: ok
"""

import asyncio

import openai


async def ask(client, model, content):
    reply = await client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}])
    return reply.choices[0].message.content


async def stream(client, model, content):
    chunks = await client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}], stream=True)
    async for chunk in chunks:
        if chunk.choices and chunk.choices[0].delta.content:
            yield chunk.choices[0].delta.content.upper()


async def main():
    client = openai.AsyncOpenAI(max_retries=0)
    async with asyncio.TaskGroup() as group:
        question = group.create_task(ask(client, "A", "Ask a science question"))
        unrelated = group.create_task(ask(client, "E", "Say ok"))
    pieces = [piece async for piece in stream(client, "B", question.result())]
    streamed = "".join(pieces)
    await asyncio.wait_for(ask(client, "C", f"Fact-check: {streamed}"), timeout=30)
    await asyncio.wait_for(ask(client, "D", question.result() + " (for children)"), timeout=30)
    assert unrelated.result() == "ok"


asyncio.run(main())
