"""OpenAI Responses API: `output_text` of one response is the input of the next.

expect: A->B
reply A: a haiku about rain
"""

import openai

client = openai.OpenAI(max_retries=0)
first = client.responses.create(model="A", input="Write something")
client.responses.create(model="B", input=[{"role": "user", "content": f"Critique: {first.output_text}"}])
