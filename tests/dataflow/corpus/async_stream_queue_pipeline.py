"""An async producer/consumer: an `AsyncOpenAI` stream consumed with `async for`, each delta pushed to
an `asyncio.Queue`; a consumer task assembles sentences, a callback handler run in
`contextvars.copy_context().run(...)` (as LangChain does) records tokens; both results feed new calls.

expect: A->B A->C
reply A: First sentence here. Second sentence follows. Third one ends it.
reply B: ok
reply C: ok
"""

import asyncio
import contextvars

import openai


class TokenRecorder:
    def __init__(self):
        self.tokens = []

    def on_token(self, token):
        self.tokens.append(token)


async def produce(client, queue, recorder):
    stream = await client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Three sentences"}], stream=True)
    async for chunk in stream:
        delta = chunk.choices[0].delta.content if chunk.choices else None
        if delta:
            contextvars.copy_context().run(recorder.on_token, delta)
            await queue.put(delta)
    await queue.put(None)


async def consume(queue):
    sentences, buffer = [], ""
    while (piece := await queue.get()) is not None:
        buffer += piece
        while ". " in buffer:
            sentence, _, buffer = buffer.partition(". ")
            sentences.append(sentence + ".")
    if buffer.strip():
        sentences.append(buffer.strip())
    return sentences


async def main():
    client = openai.AsyncOpenAI(max_retries=0)
    queue, recorder = asyncio.Queue(), TokenRecorder()
    _, sentences = await asyncio.gather(produce(client, queue, recorder), consume(queue))
    await client.chat.completions.create(model="B", messages=[{"role": "user", "content": f"Expand: {sentences[1]}"}])
    tail = "".join(recorder.tokens)[-20:]
    await client.chat.completions.create(model="C", messages=[{"role": "user", "content": f"Continue from ...{tail}"}])


asyncio.run(main())
