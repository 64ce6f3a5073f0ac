"""OpenAI's `chat.completions.stream()` helper: content.delta events accumulated; a choice of n=2.

expect: A->B N->D
reply A: helper streamed text here
"""

import openai

client = openai.OpenAI(max_retries=0)
text = ""
with client.chat.completions.stream(model="A", messages=[{"role": "user", "content": "Go"}]) as stream:
    for event in stream:
        if event.type == "content.delta":
            text += event.delta
client.chat.completions.create(model="B", messages=[{"role": "user", "content": text}])
two = client.chat.completions.create(model="N", n=2, messages=[{"role": "user", "content": "Two"}])
client.chat.completions.create(model="D", messages=[{"role": "user", "content": two.choices[-1].message.content}])
