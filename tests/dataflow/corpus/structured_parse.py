"""Structured outputs: `chat.completions.parse(response_format=Model)` and the parsed object's fields.

expect: A->B
"""

import openai
import pydantic


class Verdict(pydantic.BaseModel):
    label: str
    confidence: float


client = openai.OpenAI(max_retries=0)
parsed = client.chat.completions.parse(
    model="A", messages=[{"role": "user", "content": "Classify this"}], response_format=Verdict
).choices[0].message.parsed
client.chat.completions.create(model="B", messages=[{"role": "user", "content": f"Explain {parsed.label} ({parsed.confidence:.0%})"}])
