"""Coroutine-style generators and context managers: a generator driven with `send()` keeps a running
transcript, `yield from` delegates to a sub-generator, and a context manager class holds the
conversation (`__enter__` returns it, `__exit__` records it). A's reply is sent into the generator and
comes back in the transcript B receives; C gets what `yield from` re-yields of B's answer.

expect: A->B B->C
reply A: We should cache the results.
reply B: Caching adds staleness risks.
reply C: ok
"""

import openai

client = openai.OpenAI(max_retries=0)


class Conversation:
    def __init__(self, system):
        self.messages = [{"role": "system", "content": system}]
        self.closed = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.closed.append(len(self.messages))
        return False

    def ask(self, model, content):
        self.messages.append({"role": "user", "content": content})
        answer = client.chat.completions.create(model=model, messages=[self.messages[0], self.messages[-1]]).choices[0].message.content
        self.messages.append({"role": "assistant", "content": answer})
        return answer


def transcript():
    lines = []
    while True:
        line = yield "\n".join(lines)
        if line is None:
            return lines
        lines.append(f"> {line}")


def words_of(lines):
    for line in lines:
        yield from line.lstrip("> ").split()


def tagged(lines):
    yield "[start]"
    result = yield from words_of(lines)
    yield "[end]"
    return result


keeper = transcript()
next(keeper)
with Conversation("You are a design reviewer.") as convo:
    idea = convo.ask("A", "Propose an idea")
    so_far = keeper.send(idea)
    critique = convo.ask("B", "Critique this transcript:\n" + so_far)
with Conversation("You summarise.") as convo2:
    convo2.ask("C", " ".join(tagged([critique])))
