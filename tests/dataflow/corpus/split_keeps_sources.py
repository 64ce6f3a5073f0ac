"""Two answers are concatenated, then split apart again: each part keeps only its own source.

expect: A->C B->D
reply A: The first answer, from call A.
reply B: The second answer, from call B.
"""

import openai

client = openai.OpenAI(max_retries=0)


def ask(model, question):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": question}]).choices[0].message.content


combined = ask("A", "one") + "\n---\n" + ask("B", "two")
first, _, second = combined.partition("\n---\n")
client.chat.completions.create(model="C", messages=[{"role": "user", "content": f"Check: {first}"}])
client.chat.completions.create(model="D", messages=[{"role": "user", "content": combined.split("---")[1].strip()}])
