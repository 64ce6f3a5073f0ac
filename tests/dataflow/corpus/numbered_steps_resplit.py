"""A numbered list split with `re.split` (and a compiled pattern's `split`), `enumerate`/`zip` with
priorities, `sorted(key=...)`, and an f-string with `!r` and a width.

expect: A->B A->C
reply A: 1. Collect the logs 2. Find the failing test 3. Write the fix
"""

import re

import openai

ITEM = re.compile(r"\s*\d+\.\s*")

client = openai.OpenAI(max_retries=0)
plan = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Numbered plan"}]).choices[0].message.content
steps = [s for s in re.split(r"\s*\d+\.\s*", plan) if s]
priorities = [3, 1, 2]
ranked = sorted(zip(priorities, steps), key=lambda pair: pair[0])
lines = "\n".join(f"{i:>2}. {step!r}" for i, (_, step) in enumerate(ranked, start=1))
client.chat.completions.create(model="B", messages=[{"role": "user", "content": f"Do these in order:\n{lines}"}])
last = ITEM.split(plan)[-1]
client.chat.completions.create(model="C", messages=[{"role": "user", "content": "Verify: " + last.lower()}])
