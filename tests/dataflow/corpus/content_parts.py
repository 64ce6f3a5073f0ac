"""Messages with content parts and SDK message objects passed back in.

expect: A->B A->C
"""

import openai

client = openai.OpenAI(max_retries=0)
reply = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Describe"}])
parts = [{"type": "text", "text": "Context follows."}, {"type": "text", "text": reply.choices[0].message.content}]
client.chat.completions.create(model="B", messages=[{"role": "user", "content": parts}])
history = [{"role": "user", "content": "Describe"}, reply.choices[0].message, {"role": "user", "content": "More"}]
client.chat.completions.create(model="C", messages=history)
