"""pydantic-ai on the Responses API (`OpenAIResponsesModel`), typed output through its output tool:
the validated plan's first step reaches B.

expect: A->B
reply A: {"tool_call": {"name": "final_result", "arguments": {"steps": ["buy flour", "bake"]}}}
reply B: ok
"""

from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIResponsesModel


class Plan(BaseModel):
    steps: list[str]


plan = Agent(OpenAIResponsesModel("A"), output_type=Plan).run_sync("Plan baking bread").output
Agent(OpenAIResponsesModel("B")).run_sync(f"How long does it take to {plan.steps[0]}?")
