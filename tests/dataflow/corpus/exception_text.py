"""An exception carries the answer; its message goes into the next prompt.

expect: A->B A->C
reply A: not-a-number
"""

import openai

client = openai.OpenAI(max_retries=0)


class BadAnswer(Exception):
    pass


out = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "A number"}]).choices[0].message.content
try:
    try:
        int(out)
    except ValueError as error:
        raise BadAnswer(f"could not parse {out!r}") from error
except BadAnswer as problem:
    client.chat.completions.create(model="B", messages=[{"role": "user", "content": f"Fix this: {problem}"}])
    client.chat.completions.create(model="C", messages=[{"role": "user", "content": str(problem.args[0])}])
