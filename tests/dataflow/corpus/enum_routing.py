"""Enums: the LLM picks a route; `Route(answer)` selects a member (a value selected by a labelled
key: no edge, README limits), `Tone[...]` likewise. The members are constants written by the
program, so C gets no edge. A StrEnum member concatenated with the answer itself does carry A
(B), and `str.maketrans`/`translate` of the answer keeps it (D).

expect: A->B A->D
reply A:  billing
reply B: ok
reply C: ok
reply D: ok
"""

import enum

import openai


class Route(enum.StrEnum):
    BILLING = "billing"
    TECH = "tech"


class Tone(enum.Enum):
    billing = "polite and precise"
    tech = "patient and detailed"


client = openai.OpenAI(max_retries=0)


def ask(model, content):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}]).choices[0].message.content


choice = ask("A", "Route this ticket: my invoice is wrong").strip()
route = Route(choice)
tone = Tone[route.value]
ask("B", Route.BILLING + ": handle the request routed as " + choice)
ask("C", f"Queue {route} ({route.name.lower()}), tone: {tone.value}. Known: {', '.join(r.value for r in Route)}")
table = str.maketrans({"b": "B", "i": "1"})
ask("D", "Code: " + choice.translate(table))
