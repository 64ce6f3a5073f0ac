"""encode/decode and base64 round trips, and `bytes(text, "utf-8")`.

expect: A->B A->C
reply A: secret plan: launch at dawn
"""

import base64

import openai

client = openai.OpenAI(max_retries=0)
plan = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "A plan"}]).choices[0].message.content
token = base64.b64encode(plan.encode("utf-8")).decode("ascii")
client.chat.completions.create(model="B", messages=[{"role": "user", "content": f"Decode {token}"}])
back = base64.urlsafe_b64decode(base64.urlsafe_b64encode(bytes(plan, "utf-8"))).decode()
client.chat.completions.create(model="C", messages=[{"role": "user", "content": back}])
