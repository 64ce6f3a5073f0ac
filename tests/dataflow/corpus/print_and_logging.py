"""Printing and logging the answer changes nothing; only what is sent counts.

expect: A->C
reply A: logged answer text
"""

import logging

import openai

logging.basicConfig(level=logging.INFO, format="%(message)s")
client = openai.OpenAI(max_retries=0)
a = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Say"}]).choices[0].message.content
print(a)
logging.info("got %s", a)
client.chat.completions.create(model="B", messages=[{"role": "user", "content": "unrelated question about logged answer"}])
client.chat.completions.create(model="C", messages=[{"role": "user", "content": f"{a}"}])
