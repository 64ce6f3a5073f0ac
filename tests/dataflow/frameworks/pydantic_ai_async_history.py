"""pydantic-ai async: two turns of one conversation (`message_history=result.new_messages()`), the
second on model B; a third agent C on an unrelated prompt. pydantic-ai lays out A's assistant turn by
joining its text parts in its own code (`sep.join`), which gives plain text: found by content matching.

expect: A~>B
reply A: I suggest the blue tent, it sleeps four people comfortably.
reply B: ok
reply C: ok
"""

import asyncio

from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel


async def main():
    first = await Agent(OpenAIChatModel("A")).run("Which tent for a family?")
    await Agent(OpenAIChatModel("B")).run("How heavy is it?", message_history=first.new_messages())
    await Agent(OpenAIChatModel("C")).run("Unrelated question")


asyncio.run(main())
