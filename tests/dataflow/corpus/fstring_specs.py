"""f-strings with format specs, conversions (`!r`, `!s`), nested fields and `=` carry the answer.

expect: A->B A->C
reply A: Mercury
"""

import openai

client = openai.OpenAI(max_retries=0)
answer = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Closest planet?"}])
planet = answer.choices[0].message.content
width = 12
first = f"Planet: {planet!r:>{width}} | upper={planet.upper()!s:<10}|"
second = f"Debug: {planet=} and {planet:.3}"
client.chat.completions.create(model="B", messages=[{"role": "user", "content": first}])
client.chat.completions.create(model="C", messages=[{"role": "user", "content": second}])
