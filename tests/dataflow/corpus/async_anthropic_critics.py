"""AsyncAnthropic: a draft, two critics run with `asyncio.gather` over a list comprehension of
coroutines, a `functools.partial` for the model call, then a revision from both critiques.

expect: A->C1 A->C2 A->R C1->R C2->R
reply A: Our product saves time.
reply C1: Too vague.
reply C2: Needs a number.
reply R: Our product saves teams five hours a week.
"""

import asyncio
import functools

import anthropic


async def call(client, model, prompt, system=None):
    kwargs = {"system": system} if system else {}
    message = await client.messages.create(
        model=model, max_tokens=200, messages=[{"role": "user", "content": prompt}], **kwargs
    )
    return "".join(block.text for block in message.content if block.type == "text")


async def main():
    client = anthropic.AsyncAnthropic(max_retries=0)
    ask = functools.partial(call, client)
    draft = await ask("A", "Write a one-line pitch")
    critics = {"C1": "clarity", "C2": "evidence"}
    critiques = await asyncio.gather(*[ask(m, f"Critique for {aspect}:\n{draft}") for m, aspect in critics.items()])
    notes = dict(zip(critics.values(), critiques))
    revision_prompt = f"Revise:\n{draft}\n\n" + "\n".join(f"[{k}] {v}" for k, v in notes.items())
    await ask("R", revision_prompt, system="You are an editor.")


asyncio.run(main())
