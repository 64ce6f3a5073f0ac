"""Objects: attributes, properties, `__str__`, dataclasses and `dataclasses.asdict`.

expect: A->B A->C
reply A: Ada Lovelace
"""

import dataclasses

import openai


@dataclasses.dataclass
class Person:
    name: str
    role: str = "pioneer"


class Card:
    def __init__(self, person):
        self.person = person

    @property
    def title(self):
        return self.person.name.upper()

    def __str__(self):
        return f"Card<{self.title}>"


client = openai.OpenAI(max_retries=0)
name = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Name someone"}]).choices[0].message.content
person = Person(name)
client.chat.completions.create(model="B", messages=[{"role": "user", "content": str(Card(person))}])
client.chat.completions.create(model="C", messages=[{"role": "user", "content": repr(dataclasses.asdict(person))}])
