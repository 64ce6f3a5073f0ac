"""Agent state kept in a dict of dicts and read back with .get and .values.

expect: A->C B->C
"""

import openai

client = openai.OpenAI(max_retries=0)
state = {"notes": {}}
for step in ("A", "B"):
    out = client.chat.completions.create(model=step, messages=[{"role": "user", "content": step}]).choices[0].message.content
    state["notes"][step] = {"text": out, "ok": True}
summary = "; ".join(n.get("text", "") for n in state["notes"].values() if n["ok"])
client.chat.completions.create(model="C", messages=[{"role": "user", "content": summary}])
