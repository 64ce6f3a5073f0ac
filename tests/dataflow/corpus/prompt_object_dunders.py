"""A prompt object that renders itself: `__str__`, `__format__` (a spec chooses the layout),
`__add__`/`__radd__` building new prompts, `__len__`, `__iter__`, `__contains__`. The LLM's answer
becomes a section of the prompt object, which reaches B through `str()`, C through an f-string
with a format spec, D through `format()` and E through concatenation with a plain string.
F gets `len(prompt)` and a membership test only (no edge).

expect: A->B A->C A->D A->E
reply A: The meeting moved to Thursday.
reply B: ok
reply C: ok
reply D: ok
reply E: ok
reply F: ok
"""

import openai


class Prompt:
    def __init__(self, *sections):
        self.sections = list(sections)

    def __str__(self):
        return "\n\n".join(self.sections)

    def __format__(self, spec):
        if spec == "bullets":
            return "\n".join("* " + s for s in self.sections)
        if spec == "numbered":
            return "\n".join(f"{i}. {s}" for i, s in enumerate(self.sections, 1))
        return format(str(self), spec)

    def __add__(self, other):
        return Prompt(*self.sections, *(other.sections if isinstance(other, Prompt) else [other]))

    def __radd__(self, other):
        return Prompt(other, *self.sections)

    def __len__(self):
        return sum(len(s) for s in self.sections)

    def __iter__(self):
        return iter(self.sections)

    def __contains__(self, word):
        return any(word in s for s in self.sections)


client = openai.OpenAI(max_retries=0)


def ask(model, content):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}]).choices[0].message.content


note = ask("A", "What changed?")
prompt = Prompt("You write calendar updates.") + Prompt(note)
ask("B", str(prompt))
ask("C", f"Update:\n{prompt:numbered}")
ask("D", format("Header" + prompt, "bullets"))
ask("E", "Sections: " + " | ".join(prompt))
ask("F", f"The prompt has {len(prompt)} characters; mentions Thursday: {'Thursday' in prompt}.")
