"""Judging candidates: a score parsed with `re.search` from the judge's text, `float` then arithmetic,
`round` and `%`-formatting; `max(key=...)` picks the best candidate.

The winning candidate's text (from Y) goes to F; the scores (from J) are formatted into G's prompt.
Picking a candidate by a labelled score is selection, not data: no J->F edge (README, limits).

expect: Y->F J->G
reply X: Draft one: short and plain.
reply Y: Draft two: vivid, with a strong opening line.
reply J: Score: 6.5/10 because it is plain. Score: 9/10 for the vivid one.
"""

import re

import openai

client = openai.OpenAI(max_retries=0)


def ask(model, prompt):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}]).choices[0].message.content


candidates = [ask("X", "Write a draft"), ask("Y", "Write another draft")]
verdict = ask("J", "Score both drafts out of 10")
scores = [float(m.group(1)) for m in re.finditer(r"Score:\s*([\d.]+)/10", verdict)]
best = max(range(len(candidates)), key=lambda i: scores[i])
ask("F", "Polish this draft:\n" + candidates[best])
percent = round(sum(scores) / len(scores) * 10)
ask("G", "Average quality: %d%% (spread %.1f)" % (percent, max(scores) - min(scores)))
