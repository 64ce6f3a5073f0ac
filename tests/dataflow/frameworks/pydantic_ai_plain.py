"""pydantic-ai, plain text output: A's `result.output` goes into B's prompt; B's agent keeps the
message history of A's run (`all_messages()`) for C. pydantic-ai lays out an assistant turn by joining
its text parts in its own code (`sep.join`), which gives plain text: B's answer reaches C by content
matching only.

expect: A->B A->C B~>C
reply A: The river Thames flows through London to the North Sea.
reply B: It is about 346 kilometres long from source to sea.
reply C: ok
"""

from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel

geo = Agent(OpenAIChatModel("A"), instructions="Answer in one sentence.")
follow = Agent(OpenAIChatModel("B"))
first = geo.run_sync("Which river flows through London?")
second = follow.run_sync(f"How long is it? {first.output}")
Agent(OpenAIChatModel("C")).run_sync("And its depth?", message_history=first.all_messages() + second.new_messages())
