"""Containers: dict setdefault/update/get/values, list/tuple/set, comprehensions, unpacking.

expect: A->B A->C
reply A: red, green, blue
"""

import openai

client = openai.OpenAI(max_retries=0)
colours = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Colours?"}]).choices[0].message.content
store = {}
store.setdefault("colours", []).extend(c.strip() for c in colours.split(","))
store.update({"first": store["colours"][0]})
first, *rest = store["colours"]
unique = sorted(set(rest))
pairs = {c: len(c) for c in store.get("colours")}
client.chat.completions.create(model="B", messages=[{"role": "user", "content": " ".join(list(pairs) + unique)}])
client.chat.completions.create(model="C", messages=[{"role": "user", "content": str(tuple(store.values())[1])}])
