"""A chat loop appends every reply to `messages`, so each call reads all earlier replies.

expect: A->B A->C B->C
"""

import openai

client = openai.OpenAI(max_retries=0)
messages = [{"role": "system", "content": "You are terse."}]
for model, question in (("A", "Name a planet."), ("B", "Why that one?"), ("C", "Summarize our chat.")):
    messages.append({"role": "user", "content": question})
    reply = client.chat.completions.create(model=model, messages=messages)
    messages.append({"role": "assistant", "content": reply.choices[0].message.content})
print(len(messages))
