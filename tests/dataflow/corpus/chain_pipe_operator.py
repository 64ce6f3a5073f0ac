"""A hand-written mini "chain" framework: `PromptTemplate | LLM | Parser` builds a pipeline with
`__or__`, each step is a callable object (`__call__`), the template formats its variables with
`str.format(**inputs)`, the parser strips and splits. The second chain takes the first's parsed
output as an input variable; a third chain is fed only constants (no edge).

expect: A->B
reply A:   rivers, deltas, estuaries
reply B: Estuaries are where rivers meet the sea.
reply C: ok
"""

import openai

client = openai.OpenAI(max_retries=0)


class Runnable:
    def __or__(self, other):
        return Sequence(self, other)

    def __ror__(self, other):
        return Sequence(Constant(other), self)


class Constant(Runnable):
    def __init__(self, value):
        self.value = value

    def __call__(self, _inputs):
        return self.value


class Sequence(Runnable):
    def __init__(self, *steps):
        self.steps = steps

    def __or__(self, other):
        return Sequence(*self.steps, other)

    def __call__(self, inputs):
        value = inputs
        for step in self.steps:
            value = step(value)
        return value

    invoke = __call__


class PromptTemplate(Runnable):
    def __init__(self, template):
        self.template = template

    def __call__(self, inputs):
        return [{"role": "user", "content": self.template.format(**inputs)}]


class ChatModel(Runnable):
    def __init__(self, model):
        self.model = model

    def __call__(self, messages):
        return client.chat.completions.create(model=self.model, messages=messages).choices[0].message


class CommaListParser(Runnable):
    def __call__(self, message):
        return [item.strip() for item in message.content.split(",") if item.strip()]


class StrParser(Runnable):
    def __call__(self, message):
        return message.content


topics = PromptTemplate("List three {kind} about {subject}.") | ChatModel("A") | CommaListParser()
explain = PromptTemplate("Explain the term '{term}' in one line ({n} words max).") | ChatModel("B") | StrParser()
constant = {"role": "user", "content": "Say ok"} | Runnable()  # __ror__: a plain value first

terms = topics.invoke({"kind": "terms", "subject": "geography"})
explanation = explain({"term": terms[-1], "n": 12})
ChatModel("C")([{"role": "user", "content": f"Rate this format: {len(explanation.split())} words."}])
