"""A prompt typed by the program that happens to contain the answer's text is not an edge.

expect: none
reply A: Paris
"""

import openai

client = openai.OpenAI(max_retries=0)
capital = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Capital?"}]).choices[0].message.content
assert capital == "Paris"
client.chat.completions.create(model="B", messages=[{"role": "user", "content": "Is Paris the capital of France?"}])
