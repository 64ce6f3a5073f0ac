"""pydantic-ai with its own OpenTelemetry instrumentation (`Agent.instrument_all()`): an agent with a
tool, whose tool makes an LLM call of its own (B) through the raw SDK; the agent's second model
request carries its first one's tool call. Then C gets the agent's answer.

expect: A->A A->C
reply A: {"tool_call": {"name": "lookup", "arguments": {"city": "Lima"}}, "after_tool": "Lima has mild, dry weather all year."}
reply B: 18 C and dry
reply C: ok
"""

import openai
from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel

Agent.instrument_all()
agent = Agent(OpenAIChatModel("A"), name="weather")
client = openai.OpenAI(max_retries=0)


@agent.tool_plain
def lookup(city: str) -> str:
    """The weather of a city."""
    client.chat.completions.create(model="B", messages=[{"role": "user", "content": "Weather station codes?"}])
    return "18 C"


answer = agent.run_sync("Weather in Lima?").output
client.chat.completions.create(model="C", messages=[{"role": "user", "content": f"Pack for: {answer}"}])
