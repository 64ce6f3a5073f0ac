"""Module-level state mutated across functions: a `defaultdict(list)` of facts, an `OrderedDict` cache,
a `global` last answer, `namedtuple` records with `_replace`/`_asdict`, and `copy.deepcopy` of the
registry before a prompt is built from it.

expect: A->C B->C B->D
reply A: Mars has two moons
reply B: Venus rotates backwards
reply C: noted
reply D: ok
"""

import copy
from collections import OrderedDict, defaultdict, namedtuple

import openai

Fact = namedtuple("Fact", "planet text confidence")
FACTS = defaultdict(list)
CACHE = OrderedDict()
LAST = None

client = openai.OpenAI(max_retries=0)


def learn(model, planet):
    global LAST
    text = client.chat.completions.create(model=model, messages=[{"role": "user", "content": f"A fact about {planet}"}]).choices[0].message.content
    fact = Fact(planet, text, 0.5)._replace(confidence=0.9)
    FACTS[planet].append(fact)
    CACHE[planet] = fact._asdict()
    CACHE.move_to_end(planet, last=False)
    LAST = fact


def digest():
    snapshot = copy.deepcopy(dict(FACTS))
    return "\n".join(f"{planet}: {'; '.join(f.text for f in facts)}" for planet, facts in sorted(snapshot.items()))


learn("A", "Mars")
learn("B", "Venus")
client.chat.completions.create(model="C", messages=[{"role": "user", "content": digest()}])
first_key = next(iter(CACHE))
client.chat.completions.create(model="D", messages=[{"role": "user", "content": f"{first_key}: {CACHE[first_key]['text']} / {LAST.text}"}])
