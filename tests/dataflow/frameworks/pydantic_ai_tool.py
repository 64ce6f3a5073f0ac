"""pydantic-ai tool loop on one model: A calls the `lookup` tool, whose result (plain) goes back to A,
which then answers; the answer reaches B. A's second call carries A's own tool call.

expect: A->A A->B
reply A: {"tool_call": {"name": "lookup", "arguments": {"city": "Lima"}}, "after_tool": "Lima has mild, dry weather all year."}
reply B: ok
"""

from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel

agent = Agent(OpenAIChatModel("A"))


@agent.tool_plain
def lookup(city: str) -> str:
    return "18 C, dry"


answer = agent.run_sync("Weather in Lima?").output
Agent(OpenAIChatModel("B")).run_sync(f"Pack for this: {answer}")
