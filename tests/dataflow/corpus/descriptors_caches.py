"""Attribute machinery: a data descriptor (`__set_name__`, `__get__`, `__set__`) that normalises the
text it stores, a `functools.cached_property` building the prompt, a class-level cache dict shared by
instances, and a `__getattr__` fallback. A's answer is stored through the descriptor and reaches B
through the cached property; the class cache hands it to a second instance, which sends it to C.
D reads the fallback attribute, a constant (no edge).

expect: A->B A->C
reply A:   Lisbon, Portugal   
reply B: ok
reply C: ok
reply D: ok
"""

import functools

import openai

client = openai.OpenAI(max_retries=0)


def ask(model, content):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}]).choices[0].message.content


class Normalised:
    def __set_name__(self, owner, name):
        self.slot = "_" + name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return getattr(obj, self.slot, "")

    def __set__(self, obj, value):
        setattr(obj, self.slot, " ".join(value.split()).title())


class Trip:
    destination = Normalised()
    _cache = {}

    def __init__(self, key):
        self.key = key
        if key in Trip._cache:
            self.destination = Trip._cache[key]

    @functools.cached_property
    def prompt(self):
        city, _, country = self.destination.partition(", ")
        return f"Plan two days in {city} ({country.upper()})."

    def remember(self):
        Trip._cache[self.key] = self.destination

    def __getattr__(self, name):
        return f"<no {name}>"


trip = Trip("summer")
trip.destination = ask("A", "Pick a city")
ask("B", trip.prompt)
trip.remember()
again = Trip("summer")
ask("C", "Packing list for " + again.destination)
ask("D", "Budget: " + again.budget)
