"""Async streaming with the Responses API, text deltas accumulated.

expect: A->B
reply A: async streamed response text
"""

import asyncio

import openai


async def main():
    client = openai.AsyncOpenAI(max_retries=0)
    stream = await client.responses.create(model="A", input="Stream", stream=True)
    text = ""
    async for event in stream:
        if event.type == "response.output_text.delta":
            text += event.delta
    await client.responses.create(model="B", input=f"Echo: {text}")


asyncio.run(main())
