r"""Embeddings built from answers: A's candidate answers (split from one reply) are embedded by E with
the question; the program picks the candidate closest to the question by cosine similarity (a choice
made by E's vectors: control dependence, no E edge) and sends it to C (A->C). The embedding request
itself carries A's candidates (A->E).

expect: A->E A->C
reply A: {"text": "Use a cache.\nAdd an index.\nShard the table."}
reply C: ok
"""

import math

import openai

client = openai.OpenAI(max_retries=0)


def cosine(u, v):
    dot = sum(a * b for a, b in zip(u, v))
    return dot / (math.sqrt(sum(a * a for a in u)) * math.sqrt(sum(b * b for b in v)) or 1.0)


question = "How do I make queries faster?"
candidates = client.chat.completions.create(model="A", messages=[{"role": "user", "content": question}]).choices[0].message.content.splitlines()
vectors = [d.embedding for d in client.embeddings.create(model="E", input=[question, *(c.rstrip(".") for c in candidates)]).data]
scores = {c: cosine(vectors[0], v) for c, v in zip(candidates, vectors[1:])}
best = max(candidates, key=scores.__getitem__)
client.chat.completions.create(model="C", messages=[{"role": "user", "content": f"Expand on: {best} (score {scores[best] >= -1})"}])
