"""Closures, lambdas, default arguments and functools.partial.

expect: A->B
"""

import functools

import openai

client = openai.OpenAI(max_retries=0)
note = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Note"}]).choices[0].message.content


def make_prefixer(prefix):
    def apply(text, suffix="!"):
        return prefix + text + suffix
    return apply


shout = lambda s: s.upper()  # noqa: E731
build = functools.partial(make_prefixer(">> "), suffix=" <<")
client.chat.completions.create(model="B", messages=[{"role": "user", "content": shout(build(note))}])
