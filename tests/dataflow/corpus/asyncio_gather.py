"""asyncio: two calls gathered, a task, then a call that combines both answers.

expect: A->C B->C C->D
"""

import asyncio

import openai


async def main():
    client = openai.AsyncOpenAI(max_retries=0)

    async def ask(model, content):
        reply = await client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}])
        return reply.choices[0].message.content

    a, b = await asyncio.gather(ask("A", "north"), ask("B", "south"))
    combined = await asyncio.create_task(ask("C", f"Merge '{a}' with '{b}'"))
    await ask("D", combined[::-1][::-1])


asyncio.run(main())
