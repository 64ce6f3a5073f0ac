"""pydantic models round-tripping: `model_validate_json` of A's answer, a lax `str` -> `int` field,
`model_copy(update=...)`, `model_dump_json()` then `model_validate_json()` again, and arithmetic on a
validated number formatted into a prompt.

expect: A->B A->C A->D
reply A: {"text": {"title": "Migrate the database", "estimate_hours": "12", "owner": "dana"}}
"""

import openai
from pydantic import BaseModel, Field


class Ticket(BaseModel):
    title: str
    estimate_hours: int
    owner: str = Field(default="unassigned")
    tags: list[str] = []


client = openai.OpenAI(max_retries=0)


def chat(model, content):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}]).choices[0].message.content


ticket = Ticket.model_validate_json(chat("A", "Ticket as JSON"))
ticket = ticket.model_copy(update={"tags": [ticket.owner.upper()]})
chat("B", f"Days needed: {ticket.estimate_hours / 8:.1f}")
stored = ticket.model_dump_json()
restored = Ticket.model_validate_json(stored)
chat("C", f"Assign '{restored.title}' to {restored.tags[0]}")
chat("D", stored)
