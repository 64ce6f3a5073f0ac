"""OpenAI Agents SDK conversation: `result.to_input_list()` carries A's turn into the next run (B),
as the SDK's docs show for multi-turn chats; C starts afresh.

expect: A->B
reply A: Your order 1182 ships on Friday by courier.
reply B: ok
reply C: ok
"""

from agents import Agent, Runner, set_default_openai_client, set_tracing_disabled
from openai import AsyncOpenAI

set_tracing_disabled(True)
set_default_openai_client(AsyncOpenAI(max_retries=0))
first = Runner.run_sync(Agent(name="support", model="A"), "When does my order ship?")
history = first.to_input_list() + [{"role": "user", "content": "Can it come sooner?"}]
Runner.run_sync(Agent(name="support", model="B"), history)
Runner.run_sync(Agent(name="support", model="C"), "Hello")
