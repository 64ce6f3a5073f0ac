"""`float()` of the answer, rounding, `max` with a constant and formatting.

expect: A->B
reply A:  3.75
"""

import openai

client = openai.OpenAI(max_retries=0)
x = float(client.chat.completions.create(model="A", messages=[{"role": "user", "content": "A price"}]).choices[0].message.content)
y = round(max(x * 2, 1.0), 1)
client.chat.completions.create(model="B", messages=[{"role": "user", "content": "Budget: %.2f EUR" % y}])
