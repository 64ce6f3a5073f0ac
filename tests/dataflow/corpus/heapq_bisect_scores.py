"""Ranking scored answers: candidates from A are scored by S (numbers parsed with `float`),
kept as `(score, text)` pairs in a list maintained with `bisect.insort`, the best picked with
`heapq.nlargest`; the best text reaches B (A->B) and the best score reaches C (S->C). D gets
the rank position (`bisect.bisect` of a constant threshold: an index, no edge).

expect: A->S A->B S->C
reply A: short answer|a medium length answer|the longest answer of them all
reply S: 0.7
reply B: ok
reply C: ok
reply D: ok
"""

import bisect
import heapq

import openai

client = openai.OpenAI(max_retries=0)


def ask(model, content):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}]).choices[0].message.content


candidates = ask("A", "Three answers separated by |").split("|")
ranked = []
for i, candidate in enumerate(candidates):
    score = float(ask("S", f"Score 0-1: {candidate}")) - i / 10
    bisect.insort(ranked, (score, candidate))
best_score, best_text = heapq.nlargest(1, ranked)[0]
top_two = [text for _, text in heapq.nlargest(2, ranked, key=lambda pair: pair[0])]
ask("B", "Polish: " + best_text + "\nRunner-up: " + top_two[1])
ask("C", "Confidence was %.2f" % best_score)
position = bisect.bisect([s for s, _ in ranked], 0.55)
ask("D", f"{position} answers scored below the threshold")
