"""Labels live per run: a value from an ended subrun starts no edge in the next run; within a run it does.

expect: B->C
"""

import ao_instrument
import openai

client = openai.OpenAI(max_retries=0)
with ao_instrument.run("first"):
    early = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "early"}]).choices[0].message.content
with ao_instrument.run("second"):
    later = client.chat.completions.create(model="B", messages=[{"role": "user", "content": f"late, not {early!r}"}])
    client.chat.completions.create(model="C", messages=[{"role": "user", "content": later.choices[0].message.content}])
