"""Structural pattern matching (`match`) over A's JSON action: class patterns on a dataclass, mapping
patterns with captures, sequence patterns with a star, guards. The captured values reach B and C;
D is chosen by the match (control dependence) and sends a constant (no edge).

expect: A->B A->C
reply A: {"text": {"action": "search", "args": ["solar panels", "cost"], "limit": 3}}
reply B: ok
reply C: ok
reply D: ok
"""

import dataclasses
import json

import openai

client = openai.OpenAI(max_retries=0)


def ask(model, content):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}]).choices[0].message.content


@dataclasses.dataclass
class Search:
    query: str
    facets: list


decision = json.loads(ask("A", "Pick an action as JSON"))
match decision:
    case {"action": "search", "args": [query, *facets], "limit": int(limit)} if limit > 0:
        step = Search(query, facets)
    case {"action": other}:
        step = other
    case _:
        step = None

match step:
    case Search(query=q, facets=[first, *_]):
        ask("B", f"Search the web for '{q}' focusing on {first}.")
        ask("C", dataclasses.replace(step, query=q.title()).query + f" (top {limit})")
    case str():
        pass
ask("D", "Action handled." if step is not None else "Nothing to do.")
