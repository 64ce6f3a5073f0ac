"""Operators: `+`, `+=`, `*`, indexing and slicing.

expect: A->B
reply A: abcdefgh
"""

import openai

client = openai.OpenAI(max_retries=0)
s = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Letters"}]).choices[0].message.content
out = "<" + s[2:5] + ">"
out += s[-1] * 3
out = out + "|" + s[::2]
client.chat.completions.create(model="B", messages=[{"role": "user", "content": out}])
