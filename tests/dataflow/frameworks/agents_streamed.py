"""OpenAI Agents SDK streaming: `Runner.run_streamed` with text deltas collected by the program;
the collected text reaches B.

expect: A->B
reply A: Once upon a time a small robot learned to paint.
reply B: ok
"""

import asyncio

from agents import Agent, Runner, set_default_openai_client, set_tracing_disabled
from openai import AsyncOpenAI
from openai.types.responses import ResponseTextDeltaEvent

set_tracing_disabled(True)


async def main():
    set_default_openai_client(AsyncOpenAI(max_retries=0))
    result = Runner.run_streamed(Agent(name="teller", model="A"), "Tell a one-line story")
    parts = []
    async for event in result.stream_events():
        if event.type == "raw_response_event" and isinstance(event.data, ResponseTextDeltaEvent):
            parts.append(event.data.delta)
    story = "".join(parts)
    await Runner.run(Agent(name="titler", model="B"), f"Give a title to: {story}")


asyncio.run(main())
