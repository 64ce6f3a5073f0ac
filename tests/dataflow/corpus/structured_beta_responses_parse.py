"""Structured outputs the newer ways: `client.beta.chat.completions.parse` with a nested pydantic model
(a list of sub-models), and `client.responses.parse(text_format=...)` read through `output_parsed`.
Fields of A's parsed plan reach B; B's parsed verdict reaches C; D gets only the number of steps.

expect: A->B B->C
reply A: {"text": {"goal": "ship the release", "steps": [{"name": "freeze", "owner": "ana"}, {"name": "tag", "owner": "raj"}]}}
reply B: {"text": {"verdict": "approve", "reason": "steps are clear"}}
reply C: ok
reply D: ok
"""

import openai
import pydantic


class Step(pydantic.BaseModel):
    name: str
    owner: str


class Plan(pydantic.BaseModel):
    goal: str
    steps: list[Step]


class Review(pydantic.BaseModel):
    verdict: str
    reason: str


client = openai.OpenAI(max_retries=0)
plan = client.beta.chat.completions.parse(
    model="A", messages=[{"role": "user", "content": "Plan the release"}], response_format=Plan
).choices[0].message.parsed
steps = "; ".join(f"{s.name} by {s.owner}" for s in plan.steps)
review = client.responses.parse(model="B", input=f"Review the plan '{plan.goal}': {steps}", text_format=Review).output_parsed
client.chat.completions.create(model="C", messages=[{"role": "user", "content": f"{review.verdict.upper()}: {review.reason}"}])
client.chat.completions.create(model="D", messages=[{"role": "user", "content": f"{len(plan.steps)} steps"}])
