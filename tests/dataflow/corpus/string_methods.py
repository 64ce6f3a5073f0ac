"""str methods that return text: strip, split, upper, replace, center, partition, title, splitlines.

expect: A->B
reply A:   alpha beta: gamma delta\nsecond line
"""

import openai

client = openai.OpenAI(max_retries=0)
raw = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Say things"}])
raw = raw.choices[0].message.content
words = raw.strip().split()
head, _, tail = raw.partition(":")
pieces = [
    words[0].upper(), tail.replace("delta", "epsilon"), head.center(30, "*"), raw.title().splitlines()[-1],
    raw.casefold().lstrip().rjust(40), raw.zfill(5).expandtabs(), raw.swapcase().removeprefix("  "),
]
client.chat.completions.create(model="B", messages=[{"role": "user", "content": " | ".join(pieces)}])
