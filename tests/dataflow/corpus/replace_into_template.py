"""The answer is put into a plain template with `str.replace`.

expect: A->B
reply A: Grace
"""

import openai

client = openai.OpenAI(max_retries=0)
name = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "A name"}]).choices[0].message.content
letter = "Dear NAME,\nthanks for your help.\nBest".replace("NAME", name)
client.chat.completions.create(model="B", messages=[{"role": "user", "content": letter}])
