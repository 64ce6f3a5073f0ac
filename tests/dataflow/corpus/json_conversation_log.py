"""The whole conversation serialized with json.dumps into one prompt.

expect: A->B
"""
import json
import openai
client = openai.OpenAI(max_retries=0)
history = [{"role": "user", "content": "hi"}]
reply = client.chat.completions.create(model="A", messages=history).choices[0].message
history.append(reply.model_dump(exclude_none=True))
client.chat.completions.create(model="B", messages=[{"role": "user", "content": "Summarize this log: " + json.dumps(history, indent=1)}])
