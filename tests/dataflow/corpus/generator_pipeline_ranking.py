r"""A generator pipeline: lines of A's answer flow through generator functions (`yield`), a dict
comprehension keyed by name, `sorted(..., key=..., reverse=True)` on parsed scores, `zip` with ranks,
`str.ljust` table rows; another model's answer only decides the ordering direction (no edge from it).

expect: A->B
reply A: {"text": "alice: 72\nbob: 91\ncarol: 85"}
reply D: descending
reply B: ok
"""

import openai


def lines(text):
    for line in text.splitlines():
        if line.strip():
            yield line


def parse(rows):
    for row in rows:
        name, _, score = row.partition(":")
        yield name.strip(), int(score)


client = openai.OpenAI(max_retries=0)
raw = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Scores"}]).choices[0].message.content
scores = {name.title(): score for name, score in parse(lines(raw))}
direction = client.chat.completions.create(model="D", messages=[{"role": "user", "content": "Order?"}]).choices[0].message.content
ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=direction.startswith("desc"))
table = "\n".join(f"{rank}. {name.ljust(8)}{score:>4}" for rank, (name, score) in zip(range(1, 4), ranked))
client.chat.completions.create(model="B", messages=[{"role": "user", "content": table}])
