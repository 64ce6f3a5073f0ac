"""Containers of answers formatted into prompts: f"{list}" and str(dict).

expect: A->C B->C A->D
reply A: option one
reply B: option two
"""

import openai

client = openai.OpenAI(max_retries=0)
a = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "1"}]).choices[0].message.content
b = client.chat.completions.create(model="B", messages=[{"role": "user", "content": "2"}]).choices[0].message.content
client.chat.completions.create(model="C", messages=[{"role": "user", "content": f"Options: {[a, b]}"}])
client.chat.completions.create(model="D", messages=[{"role": "user", "content": str({"pick": a})}])
