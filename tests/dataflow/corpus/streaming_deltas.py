"""Streaming: deltas accumulated with `+=` and with `"".join`.

expect: A->B A->C
reply A: streamed words arrive in several pieces
"""

import openai

client = openai.OpenAI(max_retries=0)
stream = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Stream"}], stream=True)
full = ""
parts = []
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        full += chunk.choices[0].delta.content
        parts.append(chunk.choices[0].delta.content)
client.chat.completions.create(model="B", messages=[{"role": "user", "content": full}])
client.chat.completions.create(model="C", messages=[{"role": "user", "content": "".join(parts)[-8:]}])
