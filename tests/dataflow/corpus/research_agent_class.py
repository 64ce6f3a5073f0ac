"""A class-based research agent: state on `self`, a `@property` prompt built with `str.format(**vars)`,
notes kept in a list attribute, a `__str__` summary, and a second agent instance fed by the first.

The topic comes from A; the notes from B; the final report from C goes to D through `str(agent)`.
E gets only the agent's constant persona (no edge).

expect: A->B A->C B->C C->D
reply A:   Quantum error correction
reply B: Surface codes tolerate about one percent physical error rates.
reply C: Report: surface codes are the leading approach.
reply E: ok
"""

import openai


class ResearchAgent:
    persona = "You are a careful research assistant."

    def __init__(self, client, model):
        self.client = client
        self.model = model
        self.topic = ""
        self.notes = []

    @property
    def prompt(self):
        fields = {"topic": self.topic, "count": len(self.notes)}
        base = "Research the topic '{topic}'. You have {count} notes so far.".format(**fields)
        if self.notes:
            base += "\nNotes:\n" + "\n".join(f"- {n}" for n in self.notes)
        return base

    def ask(self, content, model=None):
        messages = [{"role": "system", "content": self.persona}, {"role": "user", "content": content}]
        reply = self.client.chat.completions.create(model=model or self.model, messages=messages)
        return reply.choices[0].message.content

    def research(self):
        self.notes.append(self.ask(self.prompt, model="B"))
        return self

    def __str__(self):
        return f"{type(self).__name__}(topic={self.topic!r}, notes={len(self.notes)})"


client = openai.OpenAI(max_retries=0)
agent = ResearchAgent(client, "C")
agent.topic = agent.ask("Pick a research topic", model="A").strip()
report = agent.research().ask(agent.prompt)

reviewer = ResearchAgent(client, "D")
reviewer.notes = [report]
reviewer.ask(f"Review this: {reviewer.notes[-1]}")
reviewer.ask(reviewer.persona, model="E")
