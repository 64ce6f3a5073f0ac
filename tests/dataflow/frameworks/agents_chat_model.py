"""OpenAI Agents SDK on Chat Completions (`OpenAIChatCompletionsModel`): a triage agent A, its output
handed to a writer agent B in an async program.

expect: A->B
reply A: Category billing, the customer was charged twice.
reply B: ok
"""

import asyncio

from agents import Agent, OpenAIChatCompletionsModel, Runner, set_tracing_disabled
from openai import AsyncOpenAI

set_tracing_disabled(True)
client = AsyncOpenAI(max_retries=0)


async def main():
    triage = Agent(name="triage", model=OpenAIChatCompletionsModel(model="A", openai_client=client))
    writer = Agent(name="writer", model=OpenAIChatCompletionsModel(model="B", openai_client=client))
    label = (await Runner.run(triage, "I was charged twice this month")).final_output
    await Runner.run(writer, f"Draft a reply for this ticket: {label}")


asyncio.run(main())
