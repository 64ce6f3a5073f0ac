"""OpenAI Agents SDK: `Runner.run_sync` with a Responses model; A's final output becomes the input
of a second agent B.

expect: A->B
reply A: The meeting is on Tuesday at ten in room four.
reply B: ok
"""

from agents import Agent, Runner, set_default_openai_client, set_tracing_disabled
from openai import AsyncOpenAI

set_tracing_disabled(True)
set_default_openai_client(AsyncOpenAI(max_retries=0))
notes = Agent(name="notes", instructions="Extract the meeting time.", model="A")
mailer = Agent(name="mailer", instructions="Write a reminder email.", model="B")
result = Runner.run_sync(notes, "Minutes: we meet Tuesday at 10 in room 4.")
Runner.run_sync(mailer, f"Remind the team: {result.final_output}")
