"""The agent keeps a journal with `logging`: a custom `Handler` collects formatted lines in memory
(`self.format(record)`, a `Formatter` with a layout), messages use `%`-style arguments and a
`LoggerAdapter` adds context. The journal of A's plan goes to B. Prompts are rendered by a
`string.Formatter` subclass that fills missing fields with a default (`get_value`): A's goal reaches
C through it; D is rendered by it from constants only (no edge).

expect: A->B A->C
reply A: migrate the database first
reply B: ok
reply C: ok
reply D: ok
"""

import logging
import string

import openai


class MemoryHandler(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


class Defaulting(string.Formatter):
    def get_value(self, key, args, kwargs):
        if isinstance(key, str):
            return kwargs.get(key, f"<{key}?>")
        return super().get_value(key, args, kwargs)


journal = MemoryHandler()
journal.setFormatter(logging.Formatter("[%(levelname)s] %(agent)s | %(message)s"))
logger = logging.getLogger("agent.journal")
logger.propagate = False
logger.setLevel(logging.INFO)
logger.addHandler(journal)
log = logging.LoggerAdapter(logger, {"agent": "planner"})

client = openai.OpenAI(max_retries=0)


def ask(model, content):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}]).choices[0].message.content


log.info("starting with %d tools", 3)
plan = ask("A", "What should we do first?")
log.info("plan chosen: %s", plan)
log.warning("risk noted for %r", plan.split()[1])
ask("B", "Review the journal:\n" + "\n".join(journal.lines))
render = Defaulting()
ask("C", render.format("Goal: {goal}. Owner: {owner}. Step {0}.", 1, goal=plan))
ask("D", render.format("Goal: {goal}. Owner: {owner}.", owner="ops"))
