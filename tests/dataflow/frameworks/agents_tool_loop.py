"""OpenAI Agents SDK tool loop (Responses API): A calls `get_stock`, gets the tool's plain result
back and answers; the answer reaches B. A's second call carries A's own function call.

expect: A->A A->B
reply A: {"tool_call": {"name": "get_stock", "arguments": {"sku": "X-1"}}, "after_tool": "There are 12 units of X-1 left in the warehouse."}
reply B: ok
"""

from agents import Agent, Runner, function_tool, set_default_openai_client, set_tracing_disabled
from openai import AsyncOpenAI

set_tracing_disabled(True)
set_default_openai_client(AsyncOpenAI(max_retries=0))


@function_tool
def get_stock(sku: str) -> str:
    """Units in stock for a product."""
    return "12"


clerk = Agent(name="clerk", instructions="Answer stock questions.", model="A", tools=[get_stock])
answer = Runner.run_sync(clerk, "How many X-1 do we have?").final_output
Runner.run_sync(Agent(name="buyer", model="B"), f"Should we reorder? {answer}")
