"""Configuration merges: `{**defaults, **overrides}`, `dict(**a, **b)`, `dict.update`, `|`, and a
`collections.ChainMap` used with `format_map` and with `.format(**chain)`. A's answer is the
persona override (reaches B through format_map of the ChainMap, C through `.format(**...)`); D is
formatted from the defaults only (no edge).

expect: A->B A->C
reply A: a terse pirate
reply B: ok
reply C: ok
reply D: ok
"""

import collections

import openai

client = openai.OpenAI(max_retries=0)


def ask(model, content):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}]).choices[0].message.content


defaults = {"persona": "a helpful assistant", "task": "answer questions", "lang": "English"}
persona = ask("A", "Pick a persona")
overrides = dict(persona=persona)
merged = {**defaults, **overrides}
settings = dict(**{"lang": merged["lang"]}, **{"persona": merged["persona"]}) | {"task": "tell a story"}
chain = collections.ChainMap(overrides, defaults)
ask("B", "You are {persona}. Your task: {task}.".format_map(chain))
ask("C", "Speak {lang} as {persona}; {task}.".format(**settings))
ask("D", "You are {persona}; {task} in {lang}.".format_map(collections.ChainMap({}, defaults)))
