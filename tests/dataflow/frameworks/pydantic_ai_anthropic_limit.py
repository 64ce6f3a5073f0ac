"""A limit: pydantic-ai's Anthropic model calls `client.beta.messages`, which ao does not instrument:
its calls make no LLM spans, so nothing links to or from them (the OpenAI models are recorded).

expect: none
reply A: {"tool_call": {"name": "final_result", "arguments": {"verdict": "spam", "confidence": 0.9}}}
reply B: ok
"""

from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.models.anthropic import AnthropicModel


class Verdict(BaseModel):
    verdict: str
    confidence: float


verdict = Agent(AnthropicModel("A"), output_type=Verdict).run_sync("Is 'WIN A PRIZE' spam?").output
Agent(AnthropicModel("B")).run_sync(f"Explain why the message is {verdict.verdict}")
