"""`int()` of the answer and arithmetic on it flow; an equal small int typed in the program does not.

expect: A->B
reply A: 7
"""

import openai

client = openai.OpenAI(max_retries=0)
n = int(client.chat.completions.create(model="A", messages=[{"role": "user", "content": "A number"}]).choices[0].message.content)
total = n * 6
client.chat.completions.create(model="B", messages=[{"role": "user", "content": f"Is {total} a nice number?"}])
count = 42
assert count == total
client.chat.completions.create(model="C", messages=[{"role": "user", "content": f"Count to {count}"}])
