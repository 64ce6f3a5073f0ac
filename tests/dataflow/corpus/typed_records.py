"""Typed records: a `NamedTuple` (with `_replace` and `_asdict`), a `TypedDict`, a dataclass with
`field(default_factory=...)` and its `repr`, a `__slots__` class. A's title flows through each to
B (NamedTuple repr and `_asdict`), C (dataclass repr in a prompt), D (slots attribute); E gets
the records' default fields and counts only (no edge).

expect: A->B A->C A->D
reply A: Migrating the billing service
reply B: ok
reply C: ok
reply D: ok
reply E: ok
"""

import dataclasses
import typing

import openai

client = openai.OpenAI(max_retries=0)


def ask(model, content):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}]).choices[0].message.content


class Task(typing.NamedTuple):
    title: str
    priority: int = 3


class TaskDict(typing.TypedDict):
    title: str
    owner: str


@dataclasses.dataclass
class Ticket:
    task: Task
    tags: list = dataclasses.field(default_factory=lambda: ["backend"])
    status: str = "open"


class Slot:
    __slots__ = ("label", "weight")

    def __init__(self, label, weight=1.0):
        self.label = label
        self.weight = weight


title = ask("A", "Name a project")
task = Task(title)._replace(priority=1)
record = TaskDict(title=task.title, owner="ops")
ask("B", f"Task: {task!r}; fields: {task._asdict()}; owner {record['owner']}")
ticket = Ticket(task)
ask("C", "Review ticket " + repr(ticket))
slot = Slot(record["title"].upper())
ask("D", "Label: %s (weight %.1f)" % (slot.label, slot.weight))
ask("E", f"Tags: {ticket.tags}, status {ticket.status}, priority {task.priority}, {len(ticket.tags)} tags")
