"""Dataclasses: a plan parsed from A's JSON into `@dataclass` steps (`field(default_factory=...)`,
`__post_init__` normalising text), `dataclasses.replace`, `asdict` then `json.dumps(indent=2)`,
and a slice of the pretty-printed JSON sent on.

expect: A->B A->C
reply A: {"text": {"goal": "Ship the release", "steps": ["write changelog", "tag version", "publish"]}}
reply B: done
"""

import dataclasses
import json
from dataclasses import dataclass, field

import openai


@dataclass
class Step:
    title: str
    done: bool = False

    def __post_init__(self):
        self.title = self.title.strip().capitalize()


@dataclass
class Plan:
    goal: str
    steps: list = field(default_factory=list)

    @classmethod
    def from_json(cls, raw):
        data = json.loads(raw)
        return cls(goal=data["goal"], steps=[Step(s) for s in data["steps"]])


client = openai.OpenAI(max_retries=0)
raw = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Plan as JSON"}]).choices[0].message.content
plan = Plan.from_json(raw)
plan.steps[0] = dataclasses.replace(plan.steps[0], done=True)
pending = [s for s in plan.steps if not s.done]
client.chat.completions.create(model="B", messages=[{"role": "user", "content": f"Next: {pending[0].title}"}])
pretty = json.dumps(dataclasses.asdict(plan), indent=2)
body = pretty[pretty.index("["):]
client.chat.completions.create(model="C", messages=[{"role": "user", "content": "Remaining steps JSON:\n" + body}])
