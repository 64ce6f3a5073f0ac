"""An answer embedded: `embeddings.create(input=...)` is a sink too.

expect: A->E
"""

import openai

client = openai.OpenAI(max_retries=0)
summary = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Summarize"}]).choices[0].message.content
vectors = client.embeddings.create(model="E", input=[summary, "a plain sentence"])
print(len(vectors.data))
