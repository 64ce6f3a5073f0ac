"""Functional text building: `"".join(reversed(...))`, `map(str.upper, ...)`, `filter`,
`functools.reduce` with `operator.add`, `operator.concat`, `itertools.accumulate`/`islice`/
`groupby`, slicing with steps, a labelled separator repeated (`sep * 3`).

A's keywords reach B, C, D and E by different routes; F gets only counts (no edge).

expect: A->B A->C A->D A->E
reply A: solar;wind;hydro;;tidal
reply B: ok
reply C: ok
reply D: ok
reply E: ok
reply F: ok
"""

import functools
import itertools
import operator

import openai

client = openai.OpenAI(max_retries=0)


def ask(model, content):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}]).choices[0].message.content


raw = ask("A", "Energy sources, semicolon separated")
parts = list(filter(None, raw.split(";")))
shouted = list(map(str.upper, parts))
ask("B", "Reversed: " + "".join(reversed(shouted))[::-1] + " / " + " ".join(itertools.islice(shouted, 2)))
ask("C", functools.reduce(operator.add, (p + ", " for p in parts), "Sources: "))
prefixes = list(itertools.accumulate(parts, lambda acc, p: acc + "+" + p))
ask("D", operator.concat("Mix: ", prefixes[-1]) + "\n" + raw[0] * 3)
groups = {k: list(g) for k, g in itertools.groupby(sorted(parts, key=len), key=len)}
sep = raw[5:6]
ask("E", (sep * 3).join(groups[max(groups)]) + " :: " + raw[::2])
ask("F", f"{len(parts)} sources, longest {max(groups)} letters, {raw.count(';')} separators")
