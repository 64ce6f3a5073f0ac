"""Values selected with `max`/`sorted`: only the selected answer flows (the others only decided).

expect: A->C B->D
reply A: a long and detailed answer from the first call
reply B: short one
"""

import openai

client = openai.OpenAI(max_retries=0)
a = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "long"}]).choices[0].message.content
b = client.chat.completions.create(model="B", messages=[{"role": "user", "content": "short"}]).choices[0].message.content
best = max([a, b], key=len)
shortest = sorted([a, b], key=len)[0]
client.chat.completions.create(model="C", messages=[{"role": "user", "content": best}])
client.chat.completions.create(model="D", messages=[{"role": "user", "content": shortest}])
